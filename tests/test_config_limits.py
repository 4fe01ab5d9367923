"""Settings that passed validation and then crashed at run time are refused when loaded.

Each value here once loaded fine and then broke a command later: an unknown time zone
(every report), a wave or SLA that ends after year 9999 (every import, every claim),
``inf``/``nan`` (timers, decimal arithmetic, the ranking), a database URL the drivers
cannot use. Now loading fails with a message naming the key, and never the password.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import ConfigError, load_settings
from bot.db import create_engine_async
from tests.support.cli import leadbot

PASSWORD = "S3cretPassw0rd"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    """The message of the ConfigError that loading ``text`` raises."""
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), environ or {})
    return str(err.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[distribution]\ntimezone = "Mars/Base"\n', "distribution.timezone"),
        ('[distribution]\ntimezone = "Europe"\n', "distribution.timezone"),
        (
            "[distribution]\nwaves = [{size = 1, minutes = 5000000000}]\n",
            "distribution.waves.0.minutes",
        ),
        ("[distribution]\nclaim_sla_hours = inf\n", "distribution.claim_sla_hours"),
        ("[distribution]\nclaim_sla_hours = 1e12\n", "distribution.claim_sla_hours"),
        ("[distribution]\nclaim_sla_hours = nan\n", "distribution.claim_sla_hours"),
        (
            "[distribution]\nreminder_before_recall_hours = inf\n",
            "distribution.reminder_before_recall_hours",
        ),
        ("[matching.weights]\nload = inf\n", "matching.weights.load"),
        ("[matching.weights]\ndistance = nan\n", "matching.weights.distance"),
        ("[matching.weights]\ntier = 1e300\n", "matching.weights.tier"),
        ("[matching]\nfairness = inf\n", "matching.fairness"),
        ("[matching]\nfairness = 1e300\n", "matching.fairness"),
        ("[matching]\nmax_distance_km = inf\n", "matching.max_distance_km"),
        ("[outbox]\nmax_backoff_seconds = inf\n", "outbox.max_backoff_seconds"),
        ("[outbox]\nlock_seconds = 1e300\n", "outbox.lock_seconds"),
        ("[content]\nrecheck_minutes = inf\n", "content.recheck_minutes"),
        ("[news]\nmax_age_days = 9000000000\n", "news.max_age_days"),
        ("[telegram]\nlink_code_hours = 9000000000\n", "telegram.link_code_hours"),
        ("[webhook_sender]\nlease_seconds = 1e300\n", "webhook_sender.lease_seconds"),
        ('[reports]\ncampaign_costs = { "Messe 2026" = inf }\n', "Messe 2026"),
        ('[reports]\ncampaign_costs = { "Messe 2026" = nan }\n', "Messe 2026"),
        ('[reports]\ncampaign_costs = { "Messe 2026" = 1e300 }\n', "Messe 2026"),
        ('[server]\npublic_url = "https://leads example.com"\n', "public_url"),
        ('[server]\npublic_url = "https://"\n', "public_url: has no host"),
        ('[server]\npublic_url = "https://leads.example.com/?a=b"\n', "public_url"),
        ('[news]\nfeeds = ["https://news.example.com/a feed"]\n', "feeds[0]: must not contain"),
        ('[news]\nfeeds = ["https:///rss"]\n', "feeds[0]: has no host"),
    ],
)
def test_values_that_would_crash_later_are_refused_by_name(
    tmp_path: Path, text: str, named: str
) -> None:
    assert named in refused(tmp_path, text)


def test_inf_from_the_environment_is_refused_too(tmp_path: Path) -> None:
    message = refused(tmp_path, "", {"LEADBOT_DISTRIBUTION__CLAIM_SLA_HOURS": "inf"})
    assert "distribution.claim_sla_hours" in message


def test_the_largest_accepted_values_still_work(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            '[distribution]\ntimezone = "America/New_York"\nclaim_sla_hours = 8760\n'
            "waves = [{size = 0, minutes = 527040}]\n"
            '[reports]\ncampaign_costs = { "Messe 2026" = 1e12 }\n'
            '[server]\npublic_url = "https://leads.example.com/base/"\n',
        ),
        {},
    )
    assert settings.distribution.waves[0].minutes == 527040
    assert settings.server.base_url() == "https://leads.example.com/base"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        (f"postgresql://leaduser:{PASSWORD}@127.0.0.1:notaport/db", "cannot be parsed"),
        # Without "@" the password reads as the port: no message may quote the port either.
        (f"postgresql://leaduser:{PASSWORD}", "cannot be parsed"),
        (f"postgresql://leaduser:{PASSWORD}@127.0.0.1:0/db", "port"),
        (f"postgresql://leaduser:{PASSWORD}@127.0.0.1:70000/db", "port"),
        (f"postgresql://leaduser:{PASSWORD}@127.0.0.1/", "names no database"),
        ("postgresql://", "names no database"),
        (f"postgresql://leaduser:S3cret@{PASSWORD}@db.example/leads", "host"),
        (f"postgresql://leaduser:{PASSWORD}@db.example/leads?sslmode=always", "sslmode"),
        (f"postgresql://leaduser:{PASSWORD}@db.example/leads?ssl=require", "ssl"),
        (f"postgresql://leaduser:{PASSWORD}@db.example/leads?application_name=x", "application"),
        (f"mysql://leaduser:{PASSWORD}@db.example/leads", "mysql"),
    ],
)
def test_unusable_database_urls_are_refused_without_the_password(
    tmp_path: Path, url: str, named: str
) -> None:
    message = refused(tmp_path, "", {"LEADBOT_DATABASE__URL": url})
    assert "database" in message and named in message
    assert PASSWORD not in message


def test_a_config_file_that_is_not_utf8_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes('[server]\nhost = "höst"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path, {})


def test_a_config_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes("[server]\nport = 8181\n".encode("utf-8-sig"))
    assert load_settings(path, {}).server.port == 8181


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_sslmode_in_a_postgresql_url_reaches_the_bots_driver(database_url: str) -> None:
    """libpq's ``sslmode`` works for migrations (psycopg) and for the bot (asyncpg)."""
    settings = load_settings(
        None, {"LEADBOT_DATABASE__URL": f"{database_url}?sslmode=disable"}, must_exist=False
    )
    engine = create_engine_async(settings.database)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sslmode_works_for_migrate_and_every_other_command(database_url: str) -> None:
    url = f"{database_url}?sslmode=disable"
    assert "up to date" in leadbot(url, "migrate").output  # psycopg
    status = leadbot(url, "outbox", "status")  # asyncpg
    assert status.exit_code == 0 and "The outbox is empty." in status.output


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sslmode_require_without_tls_on_the_server_is_one_clear_line(database_url: str) -> None:
    result = leadbot(f"{database_url}?sslmode=require", "outbox", "status")
    if result.exit_code == 0:
        pytest.skip("this PostgreSQL server speaks TLS")
    assert result.exit_code == 1
    assert result.stderr.startswith("leadbot: cannot reach the database: ")
    assert len(result.stderr.strip().splitlines()) == 1
