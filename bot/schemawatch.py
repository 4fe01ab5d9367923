"""Background work on a database that fell behind the code while the server runs.

``serve`` does not start on a schema older than its code (:mod:`bot.schema`), but an
operator can still take the database back under a running server: a downgrade, an older
backup restored. Every statement that names a newer column then fails. For the requests
:mod:`bot.web.unavailable` says so; the background loops (the senders, the scheduler, the
news and content loops, …) used to take it for an outage (SQLite says "no such column"
with the type of a locked database) or a failed attempt (PostgreSQL): "not answering"
lines every few seconds, attempts counted, deliveries marked failed for a cause that is
nobody's but the schema's.

Now a loop hands such an error to :func:`wait_if_behind` first. The error only *names* a
missing table or column (:func:`bot.schema.schema_error`); whether the database is behind
is decided as ``/healthz`` decides it, by reading its revision (:func:`bot.schema.check`).
If it is, the process says so in ONE line — "the database is at revision 0011, this
leadbot needs 0013: run `leadbot migrate`" — marks the database ``down`` and the waiting
task ``degraded`` in ``/healthz``, and the loop waits: no attempt counted, nothing marked
failed, the rows stay queued. One reader looks at the revision every
:data:`POLL_SECONDS` for all of them; once ``leadbot migrate`` ran the loops carry on by
themselves (one line again) — no restart.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.health import HealthBoard, State
from bot.schema import SchemaCheck, check, read_revision, schema_error

log = logging.getLogger("leadbot.database")

POLL_SECONDS = 5.0
"""How often a process whose database is behind looks whether it was migrated."""
CHECK_SECONDS = 3.0
"""How long one reading of the revision may take (as ``/healthz``'s check)."""


@dataclass
class SchemaWatch:
    """One per process (:attr:`bot.runtime.Runtime.schema`): is the database behind, and
    since when; the loops that wait for ``leadbot migrate`` share it."""

    engine: AsyncEngine
    health: HealthBoard
    poll_seconds: float = POLL_SECONDS
    behind_now: SchemaCheck | None = None
    """The reading that found the database behind; None while it is not (known to be)."""
    _polling: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def read(self) -> SchemaCheck | None:
        """The database's revision against the code's; None if it did not answer."""
        try:
            async with asyncio.timeout(CHECK_SECONDS), self.engine.connect() as conn:
                return check(await conn.run_sync(read_revision))
        except Exception:
            return None

    async def behind(self, error: BaseException) -> SchemaCheck | None:
        """The reading if ``error`` came from a database older than this code, else None
        (any other error, a schema that is current, or a database that did not answer the
        reading: those are the caller's as before). Reads only after such an error."""
        if not schema_error(error):
            return None
        if self.behind_now is not None:
            return self.behind_now
        found = await self.read()
        if found is None or not found.refused:
            return None
        if self.behind_now is None:
            self.behind_now = found
            log.warning(
                "%s; background work waits for it and carries on by itself",
                found.command_line(),
            )
        self.health.report("database", State.DOWN, found.health_detail())
        return self.behind_now

    async def migrated(self) -> None:
        """Return once the database is no longer behind (one reader polls for everyone)."""
        while self.behind_now is not None:
            async with self._polling:
                if self.behind_now is None:
                    return
                await asyncio.sleep(self.poll_seconds)
                found = await self.read()
                if found is None or found.refused:
                    if found is not None:
                        self.health.report("database", State.DOWN, found.health_detail())
                    continue
                self.behind_now = None
                self.health.report("database", State.OK)
                log.info(
                    "the database is at revision %s now; background work carries on",
                    found.found,
                )


@dataclass(frozen=True)
class _Waiting:
    watch: SchemaWatch
    part: str | None
    """The supervised task's part in ``/healthz`` (``task:<name>``), if it has one."""


_current: ContextVar[_Waiting | None] = ContextVar("schema_watch", default=None)


def watch_here(watch: SchemaWatch | None, part: str | None) -> None:
    """Make :func:`wait_if_behind` work in this context (the supervisor sets it for each
    background task; the tasks it starts inherit it)."""
    _current.set(None if watch is None else _Waiting(watch, part))


async def is_behind(error: BaseException) -> bool:
    """Did ``error`` come from a database behind the code? False outside a watched task."""
    here = _current.get()
    return here is not None and await here.watch.behind(error) is not None


async def wait_if_behind(error: BaseException) -> bool:
    """If ``error`` came from a database behind the code: wait until it was migrated and
    return True (the caller then simply goes on: nothing of its own failed). Otherwise
    False at once, and the caller handles ``error`` as before. Outside a background task
    of ``serve`` (tests, commands: they refuse a schema behind at their start) always
    False."""
    here = _current.get()
    if here is None:
        return False
    found = await here.watch.behind(error)
    if found is None:
        return False
    if here.part is not None:
        detail = f"waiting for `leadbot migrate`: {found.health_detail()}"
        here.watch.health.report(here.part, State.DEGRADED, detail)
    await here.watch.migrated()
    if here.part is not None:
        here.watch.health.report(here.part, State.OK, "running")
    return True
