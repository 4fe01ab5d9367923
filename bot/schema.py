"""Is the database migrated for this leadbot? Its schema revision against the code's.

The code needs the schema of the newest migration in ``bot/migrations/`` (the *head*). A
database one migration behind — created by an older leadbot, or downgraded — takes the
bot's reads and writes with "column … does not exist", so every leadbot process says so
in words instead: ``serve`` does not start, every command stops with one line, and a
running server answers ``/healthz`` and its API with ``503`` naming both revisions and
``leadbot migrate`` (docs/directory-and-intake.md, "Schema revisions").

A database *ahead* of the code — a newer leadbot migrated it, during a rolling upgrade
or after a rollback — has a revision this code does not know. The migrations add tables
and columns rather than remove or rename them, so an older leadbot can keep working on it
while the rollout (or the rollback) goes on: it is said as a warning (``/healthz``:
``degraded``), not refused — refusing would stop exactly those.

The head is read once per process from the migration scripts' own ``revision`` and
``down_revision`` lines, without importing Alembic or the scripts: that took about a
fifth of a second, which every command would pay before it does anything. Scripts this
reading does not understand (a merge of two branches) are left to Alembic.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect

from bot.config.base import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""The Alembic scripts, inside the package: an installation ships them with it."""

_ASSIGNED = r"^{name}\s*(?::[^=\n]*)?=\s*(?:(?P<quote>['\"])(?P<id>[^'\"\n]+)(?P=quote)|None)\s*$"
_REVISION = re.compile(_ASSIGNED.format(name="revision"), re.MULTILINE)
_DOWN_REVISION = re.compile(_ASSIGNED.format(name="down_revision"), re.MULTILINE)

_UNDEFINED = ("42703", "42P01")
"""PostgreSQL's SQLSTATEs for a column and a table that do not exist."""
_SQLITE_UNDEFINED = re.compile(r"no such (?:table|column)|has no column named")


@dataclass(frozen=True)
class Lineage:
    """The revisions of ``bot/migrations/``, oldest first; the last is the head."""

    revisions: tuple[str, ...]

    @property
    def head(self) -> str:
        return self.revisions[-1]


class Verdict(StrEnum):
    CURRENT = "current"
    EMPTY = "empty"  # no schema at all: never migrated
    BEHIND = "behind"  # an older revision of this code's migrations
    UNKNOWN = "unknown"  # not one of this code's revisions: a newer leadbot's, presumably


@dataclass(frozen=True)
class SchemaCheck:
    """The database's revision (``found``) against the one this code needs (``needed``)."""

    found: str | None
    needed: str
    verdict: Verdict

    @property
    def refused(self) -> bool:
        """The bot cannot work on this schema: it has no tables, or older ones."""
        return self.verdict in (Verdict.EMPTY, Verdict.BEHIND)

    def command_line(self) -> str:
        """What a command (and ``serve`` at its start) says, after ``leadbot: ``."""
        if self.verdict is Verdict.EMPTY:
            return "the database has no schema yet; run `leadbot migrate` first"
        if self.verdict is Verdict.BEHIND:
            return (
                f"the database is at revision {self.found}, this leadbot needs {self.needed}: "
                "run `leadbot migrate`"
            )
        return self.newer()

    def health_detail(self) -> str:
        """What ``/healthz`` says in the database's part (and the API's ``503``)."""
        if self.verdict is Verdict.EMPTY:
            return "no schema: run `leadbot migrate`"
        if self.verdict is Verdict.BEHIND:
            return (
                f"schema revision {self.found}, this leadbot needs {self.needed}: "
                "run `leadbot migrate`"
            )
        if self.verdict is Verdict.UNKNOWN:
            return (
                f"schema revision {self.found} is newer than this leadbot's {self.needed} "
                "(a newer leadbot migrated it): update this process"
            )
        return f"schema revision {self.found}"

    def newer(self) -> str:
        """The warning for a schema this code does not know (:attr:`Verdict.UNKNOWN`)."""
        return (
            f"the database is at revision {self.found}, which this leadbot does not know (it "
            f"needs {self.needed}): a newer leadbot migrated it. This one can work on it as "
            "long as the newer migrations only add to the schema; update it to the newer "
            "version."
        )


def check(found: str | None) -> SchemaCheck:
    """Compare the database's revision ``found`` (None: no ``alembic_version``) with the
    head of this code's migrations."""
    known = lineage()
    if found is None:
        verdict = Verdict.EMPTY
    elif found == known.head:
        verdict = Verdict.CURRENT
    elif found in known.revisions:
        verdict = Verdict.BEHIND
    else:
        verdict = Verdict.UNKNOWN
    return SchemaCheck(found, known.head, verdict)


def read_revision(sync_conn: Any) -> str | None:
    """The database's revision on an open (synchronous) connection; None if it has no
    ``alembic_version`` table (never migrated). Two cheap reads: it runs in every
    ``/healthz``."""
    if not inspect(sync_conn).has_table("alembic_version"):
        return None
    return sync_conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()  # type: ignore[no-any-return]


def schema_error(error: BaseException) -> bool:
    """Did the database refuse a statement because a table or column it names does not
    exist — what the bot meets on a schema older than its code? (On SQLite that is an
    ``OperationalError``, the type that otherwise means a locked or lost database.)"""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError):
            orig = current.orig
            code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
            if code in _UNDEFINED or _SQLITE_UNDEFINED.search(str(orig)):
                return True
        current = current.__cause__
    return False


_SCRIPT_NAME = re.compile(r"(?!\.#)(?!__init__).*\.py")
"""The files Alembic takes for migration scripts (its ``_only_source_rev_file`` rule)."""


@functools.cache
def lineage() -> Lineage:
    """This code's migrations, read once per process. A leadbot copied without them cannot
    tell which schema it needs: that is said in one line (:class:`ConfigError`), not as
    Alembic's "Path doesn't exist" from deep inside."""
    versions = MIGRATIONS / "versions"
    if not versions.is_dir():
        raise ConfigError(
            f"this leadbot has no migrations ({versions} is missing): install it with its "
            "bot/migrations/ folder (pip install . ships them)"
        )
    return _read_scripts(versions) or _from_alembic()


def head() -> str:
    """The revision this code needs: the newest in ``bot/migrations/``."""
    return lineage().head


def _read_scripts(directory: Path) -> Lineage | None:
    """The chain of revisions from the scripts' ``revision``/``down_revision`` lines; None
    when they are not one unbranched chain read that way (Alembic then decides)."""
    parent: dict[str, str | None] = {}
    for script in sorted(directory.glob("*.py")):
        if not _SCRIPT_NAME.fullmatch(script.name):
            continue  # as Alembic: no editor lock files (".#…"), no __init__.py
        text = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None and down is None:
            continue  # a helper module, not a migration
        if revision is None or down is None or revision["id"] in parent:
            return None
        parent[revision["id"]] = down["id"]
    child = {down: revision for revision, down in parent.items()}
    if not parent or len(child) != len(parent) or None not in child:
        return None  # a branch (two children of one parent) or no base
    chain: list[str] = []
    current = child.get(None)
    while current is not None:
        chain.append(current)
        current = child.get(current)
    return Lineage(tuple(chain)) if len(chain) == len(parent) else None


def _from_alembic() -> Lineage:
    """Alembic's own reading of the scripts (it imports each one)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    if head is None:
        raise RuntimeError(
            f"no migrations in {MIGRATIONS}: this leadbot was installed without them"
        )
    older = [s.revision for s in scripts.walk_revisions() if s.revision != head]
    return Lineage((*reversed(older), head))
