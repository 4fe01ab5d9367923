"""The database standing in for Redis: leases and de-duplication, correct across processes.

Both are one statement in a short transaction of their own, atomic on SQLite and PostgreSQL
alike (``INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING``):

- **Leases** (``leases``): the scheduler's and the news poller's single runner. They live
  here always, Redis or not: a lease that moved between Redis and the database while Redis
  flaps could have two holders at once; one table cannot.
- **Seen deliveries** (``seen_deliveries``): "was this platform delivery handled?" while
  Redis is unreachable. Keys carry the ``dedup:`` prefix so they never meet the rows a
  handler writes in the transaction that applied a delivery (the same table, other keys).
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.models.resilience import Lease, SeenDelivery

SEEN_PREFIX = "dedup:"
"""Prefix of the keys :class:`DatabaseSeen` writes into ``seen_deliveries``."""

MAX_KEY_LENGTH = 200
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_AFTER = timedelta(days=2)
"""Fallback rows older than this are deleted (the platforms retry for minutes, not days)."""


def _insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT`` (SQLite and PostgreSQL both do)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class DatabaseLeases:
    """Leases as rows: taken when absent, expired or already ours — in one statement."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def hold_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        now = self._clock.now()
        expires = now + timedelta(seconds=ttl_seconds)
        async with self._sessions() as session:
            insert = _insert(session, Lease).values(name=name, holder=holder, expires_at=expires)
            statement = insert.on_conflict_do_update(
                index_elements=[Lease.name],
                set_={"holder": holder, "expires_at": expires},
                where=or_(Lease.expires_at < now, Lease.holder == holder),
            ).returning(Lease.name)
            taken = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
        return taken is not None

    async def release_lease(self, name: str, holder: str) -> None:
        async with self._sessions() as session:
            await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
            await session.commit()


def seen_key(key: str) -> str:
    """The row key for ``key``: prefixed, and hashed when it would not fit the column."""
    full = SEEN_PREFIX + key
    if len(full) <= MAX_KEY_LENGTH:
        return full
    return SEEN_PREFIX + "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseSeen:
    """``first_time`` on ``seen_deliveries``: insert the key unless a fresh row has it."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock | None = None
    ) -> None:
        self._sessions = sessions
        self._clock: Clock = clock or SystemClock()
        self._pruned_at: float | None = None

    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        now = self._clock.now()
        async with self._sessions() as session:
            statement = (
                _insert(session, SeenDelivery)
                .values(key=seen_key(key), seen_at=now)
                .on_conflict_do_update(
                    index_elements=[SeenDelivery.key],
                    set_={"seen_at": now},
                    where=SeenDelivery.seen_at < now - timedelta(seconds=ttl_seconds),
                )
                .returning(SeenDelivery.key)
            )
            new = (await session.execute(statement)).scalar_one_or_none() is not None
            await self._prune(session, now)
            await session.commit()
        return new

    async def _prune(self, session: AsyncSession, now: datetime) -> None:
        """Now and then (once an hour per process) delete this fallback's old rows."""
        if self._pruned_at is not None and time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        await session.execute(
            delete(SeenDelivery).where(
                SeenDelivery.key.startswith(SEEN_PREFIX), SeenDelivery.seen_at < now - PRUNE_AFTER
            )
        )
