"""Configuration: bot.toml + LEADBOT_* environment; wrong keys and values fail by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

LEADBOT = [sys.executable, "-m", "bot"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_and_environment_are_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[slack]\nenabled = false\nstaff_channel = "C1"\n[server]\nport = 9000\n'
    )
    settings = load_settings(
        path,
        {
            "LEADBOT_SLACK__ENABLED": "true",
            "LEADBOT_SLACK__BOT_TOKEN": "xoxb-secret",
            "LEADBOT_STAFF__SLACK_USERS": '["U1", "U2"]',
            "LEADBOT_DISTRIBUTION__WAVES": "[{size = 2, minutes = 30}]",
        },
    )
    assert settings.slack.enabled is True
    assert settings.slack.staff_channel == "C1"
    assert settings.server.port == 9000
    assert settings.staff.slack_users == ["U1", "U2"]
    assert [(w.size, w.minutes) for w in settings.distribution.waves] == [(2, 30)]
    assert settings.slack.bot_token is not None
    assert settings.slack.bot_token.get_secret_value() == "xoxb-secret"
    assert "xoxb-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "environ", "named"),
    [
        ("[slack]\nenabeld = true\n", {}, "slack.enabeld: unknown key"),
        ("[server]\nport = 99999\n", {}, "server.port"),
        ('[telegram]\nmode = "push"\n', {}, "telegram.mode"),
        ("[nonsense]\nx = 1\n", {}, "nonsense: unknown key"),
        ("", {"LEADBOT_SLACK__ENABLE": "1"}, "LEADBOT_SLACK__ENABLE"),
        ("", {"LEADBOT_SLACK_ENABLED": "1"}, "LEADBOT_SLACK__ENABLED"),
        ("", {"LEADBOT_SERVER__PORT": "eighty"}, "server.port"),
        ('[slack]\nbot_token = "xoxb-1"\n', {}, "LEADBOT_SLACK__BOT_TOKEN"),
        ("[distribution]\nwaves = []\n", {}, "waves"),
        (
            '[[products]]\nid = "A"\nline = "L"\nmin_certification = "gold"\n',
            {},
            "min_certification",
        ),
        ("[server\nport = 1", {}, "not valid TOML"),
        ("[database]\nstatement_timeout_seconds = 0\n", {}, "database.statement_timeout_seconds"),
        ("", {"LEADBOT_DATABASE__POOL_TIMEOUT_SECONDS": "soon"}, "database.pool_timeout_seconds"),
        (
            "[database]\nstatement_timeout_seconds = 10\ncommand_timeout_seconds = 5\n",
            {},
            "database.command_timeout_seconds: 5 must not be below statement_timeout_seconds (10)",
        ),
    ],
)
def test_bad_configuration_names_the_problem(
    tmp_path: Path, text: str, environ: dict[str, str], named: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ)
    assert named in str(err.value)


def test_a_bad_value_from_the_environment_is_named_by_its_variable(tmp_path: Path) -> None:
    """Not blamed on the file; and a validator's message without pydantic's prefix."""
    path = write(tmp_path, "[server]\nport = 8080\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, {"LEADBOT_SERVER__PORT": "70000"})
    assert "server.port (from LEADBOT_SERVER__PORT): " in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(path, {"LEADBOT_DISTRIBUTION__TIMEZONE": "Mars/Olympus"})
    message = str(err.value)
    assert "distribution.timezone (from LEADBOT_DISTRIBUTION__TIMEZONE): " in message
    assert "Value error" not in message
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "none.toml", {"LEADBOT_SERVER__PORT": "0"}, must_exist=False)
    assert str(err.value).startswith("invalid configuration (environment; no config file):")


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        (
            {"LEADBOT_REPORTS__DIGEST": "monday 8"},
            "reports.digest (from LEADBOT_REPORTS__DIGEST): 'monday 8' is not a weekday",
        ),
        (
            {"LEADBOT_EMAIL__FROM_ADDRESS": "l" * 65 + "@mail.example"},
            "email.from_address (from LEADBOT_EMAIL__FROM_ADDRESS): the part before the @ "
            "has 65 characters",
        ),
        (
            {"LEADBOT_NEWS__FEEDS": '["https:///rss"]'},
            "news.feeds[0] (from LEADBOT_NEWS__FEEDS): has no host",
        ),
        (
            {"LEADBOT_DISTRIBUTION__REMINDER_BEFORE_RECALL_HOURS": "30"},
            "distribution.reminder_before_recall_hours"
            " (from LEADBOT_DISTRIBUTION__REMINDER_BEFORE_RECALL_HOURS):"
            " 30 must be below claim_sla_hours (24)",
        ),
        (
            {"LEADBOT_DISTRIBUTION__CLAIM_SLA_HOURS": "2.5"},
            "distribution.reminder_before_recall_hours"
            " (claim_sla_hours from LEADBOT_DISTRIBUTION__CLAIM_SLA_HOURS):"
            " 4 must be below claim_sla_hours (2.5)",
        ),
        (
            {"LEADBOT_MATCHING__SME_MIN_EMPLOYEES": "2000"},
            "matching.sme_min_employees (from LEADBOT_MATCHING__SME_MIN_EMPLOYEES):"
            " 2000 must be below enterprise_min_employees (1000)",
        ),
        (
            {"LEADBOT_EMAIL__STARTTLS": "true"},
            "email.tls (starttls from LEADBOT_EMAIL__STARTTLS): choose starttls or tls",
        ),
    ],
)
def test_a_section_check_names_the_variables_of_the_values_it_checked(
    tmp_path: Path, environ: dict[str, str], said: str
) -> None:
    """A section's own checks (one key's form, or keys checked together) said
    ``reports: digest: …`` or ``distribution: reminder_before_recall_hours must be below
    claim_sla_hours``: not which variable the value came from, nor the values."""
    path = write(tmp_path, "[distribution]\nclaim_sla_hours = 24\n[email]\ntls = true\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ)
    assert f"\n  {said}" in str(err.value), str(err.value)
    from_file = write(tmp_path, '[reports]\ndigest = "monday 8"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(from_file, {})
    assert "\n  reports.digest: 'monday 8' is not a weekday" in str(err.value)  # the file's


def test_secret_in_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "123:very-secret"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert "very-secret" not in str(err.value)


def _migrate(path: Path) -> subprocess.CompletedProcess[str]:
    """``leadbot migrate`` with this settings file, in its folder, as a user runs it."""
    return subprocess.run(
        [*LEADBOT, "migrate", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
        check=False,
    )


def test_cli_fails_at_start_with_the_key_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\npool = 3\n')
    proc = _migrate(path)
    assert proc.returncode == 2
    assert "database.pool: unknown key" in proc.stderr
    assert not (tmp_path / "x.db").exists()  # nothing was changed


def test_every_duplicate_product_id_is_named_by_the_id(tmp_path: Path) -> None:
    """A duplicate was named by one position counted from 0 (``products[2].id: duplicate
    product id 'X200'``), and only the first problem was said. Now each repeated id is
    named, with the tables that give it counted as a reader counts them; a bad level is
    named by the product's id too — all in one refusal, and nothing is changed."""
    products = "".join(
        f'[[products]]\nid = "{product_id}"\nline = "X-series"\n{extra}'
        for product_id, extra in (
            ("X200", ""),
            ("X300", ""),
            ("X200", ""),
            ("X300", 'min_certification = "gold"\n'),
            ("X200", ""),
            ("X400", ""),
        )
    )
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\n' + products)
    proc = _migrate(path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"leadbot: invalid configuration ({path}):",
        "  products: the id 'X200' is given 3 times ([[products]] tables 1, 3 and 5)",
        "  products: the id 'X300' is given twice ([[products]] tables 2 and 4)",
        "  products['X300'].min_certification: 'gold' is not one of "
        "matching.certification_levels ['basic', 'advanced', 'expert']",
    ]
    assert not (tmp_path / "x.db").exists()


def test_ids_and_names_that_the_csv_files_could_never_name_are_refused(tmp_path: Path) -> None:
    """A product id is listed in partners' and leads' CSV cells, separated by ';' and
    trimmed, and a campaign is named by leads: "X 200; Z" started fine and could never be
    offered by anyone; a campaign name with a control character could never match one."""
    products = "".join(
        f'[[products]]\nid = {product_id}\nline = "X-series"\n'
        for product_id in ('"X200; Z"', '"X\\u001b300"', '" X400"', '"X500"')
    )
    path = write(
        tmp_path,
        '[database]\nurl = "sqlite:///x.db"\n'
        '[reports]\ncampaign_costs = { "Messe\\u001b" = 3 }\n' + products,
    )
    proc = _migrate(path)
    assert proc.returncode == 2
    said = proc.stderr
    assert "[[products]] table 1: id: 'X200; Z' contains ';', which separates the" in said
    assert "[[products]] table 2: id: 'X\\x1b300' contains a control character (U+001B)" in said
    assert "[[products]] table 3: id: ' X400' begins or ends with blank space" in said
    assert "campaign_costs: the campaign name 'Messe\\x1b' contains a control character" in said
    assert "X500" not in said
    assert not (tmp_path / "x.db").exists()


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 8181\n")
    assert load_settings(None, {"LEADBOT_CONFIG": str(path)}).server.port == 8181
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(None, {"LEADBOT_CONFIG": str(tmp_path / "missing.toml")})


def test_database_waits_are_bounded_by_default(tmp_path: Path) -> None:
    """A stalled database costs a request a few seconds, not the length of the stall."""
    database = load_settings(write(tmp_path, ""), {}).database
    assert database.statement_timeout_seconds == 3
    assert database.command_timeout == 4  # the server cancels first; the client gives up after
    assert database.connect_timeout_seconds == 3
    assert database.pool_timeout_seconds == 3
    assert database.sqlite_busy_timeout_seconds == 5
    assert database.overflow == database.pool_size == 10
    tuned = load_settings(
        write(tmp_path, "[database]\npool_size = 4\nmax_overflow = 0\n"),
        {"LEADBOT_DATABASE__COMMAND_TIMEOUT_SECONDS": "30"},
    ).database
    assert (tuned.pool_size, tuned.overflow, tuned.command_timeout) == (4, 0, 30)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis://:S3cr3tPw@127.0.0.1:99999999/0", "Port out of range"),
        ("http://:S3cr3tPw@127.0.0.1:6379/0", "redis://, rediss:// or unix://"),
        ("redis://:S3cr3tPw@[::1/0", "Invalid IPv6 URL"),
        ("redis://:S3cr3tPw@127.0.0.1:6379/0?socket_timeout=soon", "'socket_timeout'"),
        ("redis://:S3cr3tPw@127.0.0.1:6379/0?no_such_option=1", "'no_such_option'"),
    ],
)
def test_a_redis_url_that_cannot_be_used_is_named_at_start_without_its_password(
    tmp_path: Path, url: str, problem: str
) -> None:
    """The Redis URL was first read when the process made its connection pool: a port out
    of range or an unknown scheme was a traceback from deep in redis-py (every command, and
    ``serve`` at start), an unknown query option a failure at the first connection. Now it
    is a configuration error naming ``redis.url`` and its variable, as for the database's
    URL — and never quoting the URL, which may hold the password."""
    path = write(tmp_path, '[database]\nurl = "sqlite:///x.db"\n')
    proc = subprocess.run(
        [*LEADBOT, "report", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**_plain_environment(), "LEADBOT_REDIS__URL": url},
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == f"leadbot: invalid configuration ({path}):", proc.stderr
    assert lines[1].startswith("  redis.url (from LEADBOT_REDIS__URL): "), proc.stderr
    assert problem in proc.stderr and "Traceback" not in proc.stderr
    assert "S3cr3tPw" not in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_settings_file_nested_too_deeply_is_refused_by_name(tmp_path: Path) -> None:
    """Python's TOML reader recurses once per nested array or inline table: a file nested
    a few thousand levels deep was a RecursionError traceback, not a refusal."""
    path = write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n")
    proc = _migrate(path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"leadbot: {path}: not valid TOML: nested too deeply",
    ]
    deep = "[" * 5000 + "]" * 5000  # a list from the environment is read as TOML too
    with pytest.raises(
        ConfigError, match=r"staff\.slack_users \(from LEADBOT_STAFF__SLACK_USERS\)"
    ):
        load_settings(
            path.with_name("none.toml"), {"LEADBOT_STAFF__SLACK_USERS": deep}, must_exist=False
        )


def _plain_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}


def test_secrets_lose_surrounding_blanks_except_those_whose_signatures_outlive_the_process() -> (
    None
):
    """A token from a file keeps its newline: trimmed, it matches. The tombstone key and the
    e-mail link secret are taken exactly: trimming them would no longer fit the recorded
    fingerprint or the links already sent by an earlier leadbot."""
    environ = {
        "LEADBOT_SERVER__API_TOKEN": " api-token-0123456789\n",
        "LEADBOT_COCKPIT__SECRET": "cockpit-secret-0123456789\n",
        "LEADBOT_SERVER__TOMBSTONE_KEY": "tombstone-key-0123456789\n",
        "LEADBOT_EMAIL__LINK_SECRET": "link-secret-0123456789\n",
    }
    settings = load_settings("/nonexistent-leadbot.toml", environ, must_exist=False)
    assert settings.server.api_token is not None and settings.cockpit.secret is not None
    assert settings.server.api_token.get_secret_value() == "api-token-0123456789"
    assert settings.cockpit.secret.get_secret_value() == "cockpit-secret-0123456789"
    assert settings.server.tombstone_key is not None and settings.email.link_secret is not None
    assert settings.server.tombstone_key.get_secret_value() == "tombstone-key-0123456789\n"
    assert settings.email.link_secret.get_secret_value() == "link-secret-0123456789\n"
