"""A database whose schema is not the one this leadbot's migrations end at.

One migration behind (created with an older leadbot, or downgraded) the bot's statements
fail with "column … does not exist": ``serve`` started anyway, ``/healthz`` said ``ok`` and
every lead got a ``500``; commands printed the driver's line and never said to migrate.
Now ``serve`` does not start, every command says which revision the database is at and
which this leadbot needs, and a running server whose database goes back under it says so
in ``/healthz`` and answers its API with ``503`` — until ``leadbot migrate``, without a
restart. A database a newer leadbot migrated is a warning, not a refusal.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory

from bot.migrate import alembic_config, current_revision, head_revision
from bot.schema import head, lineage
from tests.support.cli import EXAMPLES, REPO, config_file, leadbot, leadbot_process
from tests.support.factories import lead_payload
from tests.support.migrations import sql_rows
from tests.support.serveproc import serve

TOKEN = "schema-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PREVIOUS = lineage().revisions[-2]
"""The revision one migration before this code's head."""
NO_PAUSE_CAUSE = "0011"
"""Before 0012 (``partners.pause_cause``): storing any lead reads the partners with it, so
on this schema every ``POST /api/leads`` meets the missing column, whatever came later."""


def _lead(number: int) -> dict[str, object]:
    """Another prospect each time (the same one again would be held as a possible
    duplicate, without reading the partners)."""
    return lead_payload(
        external_id=f"crm-{number}",
        **{
            "company.domain": f"firma{number}.example",
            "contact.email": f"it@firma{number}.example",
        },
    )


def _behind(revision: str) -> str:
    return f"the database is at revision {revision}, this leadbot needs {head()}: run `leadbot migrate`"


def _downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
    assert current_revision(database_url) == revision


def test_the_code_reads_its_head_as_alembic_does() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head() == head_revision() == scripts.get_current_head()
    assert lineage().revisions == tuple(reversed([s.revision for s in scripts.walk_revisions()]))


def test_serve_does_not_start_on_a_database_one_migration_behind(
    database_url: str, tmp_path: Path
) -> None:
    _downgrade(database_url, PREVIOUS)
    config = config_file(tmp_path, database_url)
    refused = leadbot_process("serve", "--port", "0", config=config)
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr == f"leadbot: not starting: {_behind(PREVIOUS)}\n"

    migrated = leadbot(database_url, "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert f"Database migrated from {PREVIOUS} to {head()}." in migrated.output
    with serve(database_url, LEADBOT_CONSOLE__ENABLED="false") as server:
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        assert server.stop(signal.SIGTERM) == 0
    assert health.status_code == 200, health.text
    assert health.json()["checks"]["database"]["revision"] == head()


COMMANDS: tuple[tuple[str, ...], ...] = (
    ("partners", "import", str(EXAMPLES / "partners.csv")),
    ("reps", "import", str(EXAMPLES / "reps.csv")),
    ("leads", "import", str(EXAMPLES / "leads.json")),
    ("partners", "pause", "P-DE-001"),
    ("partners", "resume", "P-DE-001"),
    ("leads", "assign", "1", "P-DE-001"),
    ("leads", "release", "1"),
    ("leads", "reoffer", "1"),
    ("leads", "recall", "1"),
    ("report",),
    ("explain", "1"),
    ("erase", "1", "--yes"),
    ("erase", "1"),
    ("outbox", "status"),
    ("outbox", "retry"),
    ("webhooks", "status"),
    ("webhooks", "replay", "--since", "2026-01-01"),
    ("tombstones", "check"),
    ("cockpit", "link"),
    ("content", "reload"),
    ("console",),
)


def test_every_command_says_to_migrate_and_migrate_does(database_url: str) -> None:
    _downgrade(database_url, PREVIOUS)
    for args in COMMANDS:
        result = leadbot(database_url, *args, LEADBOT_COCKPIT__SECRET="s" * 32)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr == f"leadbot: {_behind(PREVIOUS)}\n", args
        assert result.stdout == "", args
    assert current_revision(database_url) == PREVIOUS
    assert sql_rows(database_url, "SELECT count(*) FROM partners") == [(0,)]

    migrated = leadbot(database_url, "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert migrated.stdout == f"Database migrated from {PREVIOUS} to {head()}.\n"
    imported = leadbot(database_url, *COMMANDS[0])
    assert imported.exit_code == 0, imported.output
    assert sql_rows(database_url, "SELECT count(*) FROM partners") == [(20,)]


def test_a_database_never_migrated_still_says_migrate_first(
    database_url: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()  # a database file without any table
    command.downgrade(alembic_config(database_url), "base")  # every table gone
    for url in (database_url, f"sqlite:///{empty}"):
        for args in (("report",), ("partners", "import", str(EXAMPLES / "partners.csv"))):
            result = leadbot(url, *args)
            assert result.exit_code == 1, (url, args, result.output)
            assert result.stderr == (
                "leadbot: the database has no schema yet; run `leadbot migrate` first\n"
            )
        migrated = leadbot(url, "migrate")
        assert migrated.exit_code == 0, migrated.output
        assert migrated.stdout == f"Database migrated from empty to {head()}.\n"


def test_a_running_server_says_its_database_went_back_and_recovers_after_migrate(
    database_url: str,
) -> None:
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    env = {"LEADBOT_SERVER__API_TOKEN": TOKEN, "LEADBOT_CONSOLE__ENABLED": "false"}
    with (
        serve(database_url, **env) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        assert http.get("/healthz").json()["status"] == "ok"

        # Before any lead: the server keeps the directory it read until a partner changes.
        _downgrade(database_url, NO_PAUSE_CAUSE)  # under the running server
        said = (
            f"schema revision {NO_PAUSE_CAUSE}, this leadbot needs {head()}: run `leadbot migrate`"
        )
        health = http.get("/healthz")
        refused = http.post("/api/leads", json=_lead(1), headers=AUTH)
        health_after_refusal = http.get("/healthz")

        assert leadbot(database_url, "migrate").exit_code == 0
        healthy = http.get("/healthz")
        stored = http.post("/api/leads", json=_lead(2), headers=AUTH)
        assert server.stop(signal.SIGTERM) == 0

    assert health.status_code == 503, health.text
    body = health.json()
    assert body["status"] == "unavailable"
    assert {k: v for k, v in body["checks"]["database"].items() if k != "backend"} == {
        "ok": False,
        "revision": NO_PAUSE_CAUSE,
        "needs": head(),
        "error": said,
    }
    assert body["parts"]["database"]["state"] == "down"
    assert body["parts"]["database"]["detail"] == said

    assert refused.status_code == 503, refused.text
    assert refused.json() == {"detail": f"the database is not migrated for this leadbot: {said}"}
    assert refused.headers["Retry-After"] == "5"
    assert health_after_refusal.json()["parts"]["database"]["detail"] == said
    assert f"POST /api/leads: the database is not migrated for this leadbot ({said})" in (
        server.output
    )
    assert "storing a lead failed" not in server.output  # no 500 with a traceback

    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["checks"]["database"] == {
        "ok": True,
        "backend": body["checks"]["database"]["backend"],
        "revision": head(),
        "needs": head(),
    }
    assert healthy.json()["parts"]["database"]["state"] == "ok"
    assert stored.status_code == 201, stored.text


def test_a_database_a_newer_leadbot_migrated_is_a_warning(database_url: str) -> None:
    """A rolling upgrade: the new version migrated, this (older) one still runs and starts."""
    sql_rows(database_url, "UPDATE alembic_version SET version_num = '9999'")
    warning = (
        f"leadbot: warning: the database is at revision 9999, which this leadbot does not know "
        f"(it needs {head()}): a newer leadbot migrated it."
    )
    report = leadbot(database_url, "report")
    assert report.exit_code == 0, report.output
    assert report.stderr.startswith(warning)
    migrate = leadbot(database_url, "migrate")
    assert migrate.exit_code == 0, migrate.output
    assert migrate.stdout.startswith(
        f"Database is at revision 9999, newer than this leadbot's migrations (up to {head()}): "
        "nothing to migrate."
    )
    env = {"LEADBOT_SERVER__API_TOKEN": TOKEN, "LEADBOT_CONSOLE__ENABLED": "false"}
    with (
        serve(database_url, **env) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        health = http.get("/healthz")
        stored = http.post("/api/leads", json=lead_payload(), headers=AUTH)
        assert server.stop(signal.SIGTERM) == 0
    assert warning in server.output
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "degraded"
    assert health.json()["parts"]["database"] == {
        "state": "degraded",
        "detail": f"schema revision 9999 is newer than this leadbot's {head()} (a newer "
        "leadbot migrated it): update this process",
        "since": health.json()["parts"]["database"]["since"],
    }
    assert stored.status_code == 201, stored.text


def test_an_installed_leadbot_finds_its_migrations(tmp_path: Path) -> None:
    """Built as a wheel installs it (the package outside the repository), leadbot migrates
    and knows the revision it needs."""
    pytest.importorskip("setuptools", reason="building the package needs setuptools")
    installed = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info",
         "--egg-base", str(tmp_path), "build", "--build-base", str(tmp_path / "build"),
         "--build-lib", str(installed)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = f"sqlite:///{elsewhere / 'leadbot.db'}"
    config = config_file(elsewhere, url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=elsewhere,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    where = run("-c", "import bot.schema as s; print(s.__file__, s.head())")
    assert where.stdout.split() == [str(installed / "bot" / "schema.py"), head()], where.stderr
    migrated = run("-m", "bot", "migrate", "--config", str(config))
    assert migrated.stdout == f"Database migrated from empty to {head()}.\n", migrated.stderr
    command.downgrade(alembic_config(url), "-1")
    behind = run("-m", "bot", "report", "--config", str(config))
    assert behind.returncode == 1
    assert behind.stderr == f"leadbot: {_behind(PREVIOUS)}\n"
