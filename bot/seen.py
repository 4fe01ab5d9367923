"""Seen deliveries: a platform's delivery is marked seen *with* the work it caused.

Telegram re-sends an update that did not get its 200, Slack retries an event, a user's
double click arrives twice. Each such delivery must be applied once — but marking it seen
*before* processing (as a Redis ``SET NX`` did) loses it when the process dies in between:
the redelivery is dropped as "seen" and never processed. So the mark lives in the database
(``seen_deliveries``, :mod:`bot.models.resilience`) and is written

* in the **same transaction** as the first change the delivery causes: while a delivery
  is being applied (:meth:`SeenDeliveries.once`), :meth:`bot.uow.UnitOfWork.commit` adds the
  row to its commit (:func:`mark_in`) — "seen" and "done" commit together or not at all;
* or, when the delivery changed nothing in the database (a "taken" answer, a help text),
  in a small transaction of its own **right after** it was processed (answers included).

A crash before that leaves the delivery unseen, so its redelivery is processed again; the
core services are idempotent for a repeated press (a second Claim by the winner is "already
yours"). Idempotent bookkeeping that runs before the real work (Telegram's "this user
opened the private chat") is kept out of the mark with :func:`aside`.

Inside one process an in-flight map keeps the same delivery from running twice at the same
moment (a retry arriving while the first attempt still works): the second waits for the
first, and is processed only if the first failed. Across processes the row's primary key is
the judge: when two processes apply the same delivery at the same moment, the commit that
carries the mark finds the other's mark (on PostgreSQL it waits for the other transaction
to end), rolls its own work back and raises :class:`AlreadyApplied`; the delivery counts
as a repeated one there (see docs/architecture.md). Rows older than :data:`KEEP` are purged
by the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.batching import Batches
from bot.models.resilience import SeenDelivery
from bot.sessions import plain_session

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

KEEP = timedelta(days=2)
"""How long a seen delivery is remembered: longer than any platform retries (Telegram keeps
an unanswered update for 24 hours, Slack retries within minutes)."""

PURGE_EVERY = timedelta(hours=1)


class AlreadyApplied(Exception):
    """Another process applied this delivery first; this one's work was rolled back."""

    def __init__(self, key: str) -> None:
        super().__init__(f"delivery {key} was applied by another process")
        self.key = key


@dataclass
class _Applying:
    """The delivery the current task is applying, and whether its mark is written yet."""

    key: str
    marked: bool = False
    aside: int = 0


_current: ContextVar[_Applying | None] = ContextVar("leadbot_seen_delivery", default=None)


def pending_mark() -> str | None:
    """The key a commit made now must mark as seen, or None (no delivery, or marked)."""
    applying = _current.get()
    if applying is None or applying.marked or applying.aside:
        return None
    return applying.key


def marked(key: str) -> None:
    """The commit that carried ``key``'s mark succeeded."""
    applying = _current.get()
    if applying is not None and applying.key == key:
        applying.marked = True


@contextlib.contextmanager
def aside() -> Iterator[None]:
    """Commits inside this block do not mark the delivery (idempotent bookkeeping that
    runs before the work itself: a crash after it must still leave the delivery unseen)."""
    applying = _current.get()
    if applying is not None:
        applying.aside += 1
    try:
        yield
    finally:
        if applying is not None:
            applying.aside -= 1


async def mark_in(session: AsyncSession, key: str | Sequence[str], now: datetime) -> int:
    """Insert the mark(s) in ``session``'s transaction; an existing mark is left as it is.

    How many were new. On PostgreSQL a mark another transaction is inserting right now
    waits for that transaction: it counts as new only if the other one rolled back."""
    keys = [key] if isinstance(key, str) else list(key)
    values = [{"key": one, "seen_at": now} for one in keys]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SeenDelivery).values(values).on_conflict_do_nothing()
    inserted = await session.scalars(statement.returning(SeenDelivery.key))
    return len(inserted.all())


_SEEN_AMONG = select(SeenDelivery.key).where(
    SeenDelivery.key.in_(bindparam("keys", expanding=True))
)


async def _seen_among(runtime: Runtime, keys: list[str]) -> dict[str, bool]:
    """Which of ``keys`` are marked seen (one read-only query)."""
    # Read-only: on SQLite no write lock, so the check never waits behind writers.
    async with plain_session(runtime.sessions, read_only=True) as session:
        found = await session.scalars(_SEEN_AMONG, {"keys": keys})
    return {key: True for key in found}


async def _mark_all(runtime: Runtime, keys: list[str]) -> dict[str, bool]:
    """Mark ``keys`` seen in one transaction of their own."""
    async with plain_session(runtime.sessions) as session:
        await mark_in(session, keys, runtime.clock.now())
        await session.commit()
    return dict.fromkeys(keys, True)


@dataclass
class SeenDeliveries:
    """Per process: the deliveries being applied right now, and when rows were last purged.

    The checks and the marks of deliveries arriving together (200 reps pressing Claim at
    once) are batched (:mod:`bot.batching`): one ``SELECT ... IN`` answers every check
    waiting at that moment, one transaction writes every mark waiting.
    """

    _in_flight: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    _purged_at: datetime | None = None
    _checks: Batches[str, bool] | None = None
    _marks: Batches[str, bool] | None = None

    async def once(self, runtime: Runtime, key: str, work: Callable[[], Awaitable[None]]) -> bool:
        """Run ``work`` for delivery ``key`` unless it was applied before; True if it ran.

        Returns only when the delivery is applied (by this call, an earlier one, or a
        concurrent one in this process), so the caller may acknowledge it. If ``work``
        raises, nothing is marked and the exception propagates: a redelivery tries again.
        """
        while (running := self._in_flight.get(key)) is not None:
            await asyncio.shield(running)  # then: applied by it (seen), or failed (retry here)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = done
        try:
            if await self.was_seen(runtime, key):
                return False
            applying = _Applying(key)
            token = _current.set(applying)
            try:
                await work()
            except AlreadyApplied:
                return False  # another process was first: its work stands, this one's not
            finally:
                _current.reset(token)
            if not applying.marked:
                await self._mark_alone(runtime, key)
            return True
        finally:
            del self._in_flight[key]
            done.set_result(None)

    async def was_seen(self, runtime: Runtime, key: str) -> bool:
        if self._checks is None:
            self._checks = Batches(lambda keys: _seen_among(runtime, keys))
        return bool(await self._checks.get(key))

    async def _mark_alone(self, runtime: Runtime, key: str) -> None:
        """The mark of a delivery that changed nothing in the database, after its answers."""
        if self._marks is None:
            self._marks = Batches(lambda keys: _mark_all(runtime, keys))
        await self._marks.get(key)

    async def purge(self, runtime: Runtime) -> int:
        """Forget marks older than :data:`KEEP` (at most once per :data:`PURGE_EVERY`)."""
        now = runtime.clock.now()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return 0
        async with runtime.sessions() as session:
            result = await session.execute(
                delete(SeenDelivery).where(SeenDelivery.seen_at < now - KEEP)
            )
            await session.commit()
        self._purged_at = now  # only now: a purge that failed is tried at the next pass
        removed = int(getattr(result, "rowcount", 0) or 0)
        if removed:
            log.info("forgot %d seen deliveries older than %s", removed, KEEP)
        return removed
