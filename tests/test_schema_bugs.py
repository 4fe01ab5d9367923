"""What the schema-revision checks must not mistake: a bug for an old schema, a current
schema for an outage, a leadbot copied without its migrations for a broken database.

"no such column" on a database at this leadbot's revision is a bug (or a hand edit): the
API answers it with a ``500`` as any bug, not with "the database is not answering" (SQLite
says it as an ``OperationalError``, the type of a locked database), ``/healthz`` stays
healthy, and a command names the column instead of only sending the operator to migrate.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text

from bot.schema import head
from tests.support.cli import REPO, config_file, db_session, leadbot
from tests.support.factories import lead_payload
from tests.support.serveproc import serve

TOKEN = "schema-bug-token-41c2"


def _drop_pause_cause(database_url: str) -> None:
    """A column the code reads for every lead, gone while the revision says current."""
    with db_session(database_url) as session:
        session.execute(text("ALTER TABLE partners DROP COLUMN pause_cause"))
        session.commit()


def test_a_missing_column_on_a_current_schema_is_a_bug_not_an_outage(
    database_url: str,
) -> None:
    _drop_pause_cause(database_url)
    env = {"LEADBOT_CONSOLE__ENABLED": "false", "LEADBOT_SERVER__API_TOKEN": TOKEN}
    with serve(database_url, **env) as server:
        posted = httpx.post(
            f"{server.url}/api/leads",
            json=lead_payload(),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        assert server.stop(signal.SIGTERM) == 0
    assert posted.status_code == 500, posted.text
    assert posted.json() == {"detail": "internal error; the lead was not stored"}
    assert "Retry-After" not in posted.headers
    assert health.status_code == 200, health.text  # the database answers: no outage

    listed = leadbot(database_url, "partners", "pause", "P1")
    assert listed.exit_code == 1
    assert "pause_cause" in listed.stderr  # the column is named, not only "migrate"
    assert "if it was not migrated, run `leadbot migrate` first" in listed.stderr


def _copy(tmp_path: Path, *, migrations: bool) -> Path:
    """leadbot as a deployment might copy it: the package, with or without bot/migrations/."""
    target = tmp_path / "app"
    left_out = ("__pycache__",) if migrations else ("__pycache__", "migrations")
    shutil.copytree(REPO / "bot", target / "bot", ignore=shutil.ignore_patterns(*left_out))
    return target


def _run(app: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        cwd=config.parent,
        env={**environ, "PYTHONPATH": str(app)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_leadbot_copied_without_its_migrations_says_so_in_one_line(
    database_url: str, tmp_path: Path
) -> None:
    config = config_file(tmp_path, database_url)
    done = _run(_copy(tmp_path, migrations=False), config, "outbox", "status")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("leadbot: this leadbot has no migrations (")
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_an_editor_lock_file_among_the_migrations_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """Emacs keeps ``.#name.py`` (a dangling link) beside a file it edits; Alembic skips
    it, and so does the revision check."""
    app = _copy(tmp_path, migrations=True)
    (app / "bot" / "migrations" / "versions" / ".#0012_pause_cause.py").symlink_to("user@host.1:1")
    config = config_file(tmp_path, database_url)
    done = _run(app, config, "outbox", "status")
    assert done.returncode == 0, done.stderr
    assert head() in {p.name[:4] for p in (app / "bot" / "migrations" / "versions").glob("0*.py")}
