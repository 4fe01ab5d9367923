"""The inbox's SQL: store presses with their seen marks, take up expired ones, renew, delete.

Every function is one short transaction on a plain session (:func:`bot.sessions.plain_session`)
and works on many presses at once: the worker batches them (:mod:`bot.inbox.worker`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox.press import Press
from bot.models.resilience import PendingPress, SeenDelivery
from bot.sessions import plain_session

LEASE = timedelta(seconds=10)
"""How long a press belongs to the process working on it without a renewal. Deciding and
answering a press takes well under a second; after a crash its press waits this long."""

_IDS = bindparam("ids", expanding=True)


def _insert_seen(session: AsyncSession, keys: list[str], now: datetime):  # type: ignore[no-untyped-def]
    values = [{"key": key, "seen_at": now} for key in keys]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(SeenDelivery)
        .values(values)
        .on_conflict_do_nothing()
        .returning(SeenDelivery.key)
    )


async def store(
    sessions: async_sessionmaker[AsyncSession], presses: Sequence[Press], now: datetime
) -> dict[str, int]:
    """Mark ``presses`` seen and store the new ones, in one transaction: key -> row id for
    each press that was new (a key seen before is left out)."""
    by_key = {press.key: press for press in presses}
    async with plain_session(sessions) as session:
        new = set(await session.scalars(_insert_seen(session, list(by_key), now)))
        stored: dict[str, int] = {}
        if new:
            rows = [
                {
                    "key": press.key,
                    "platform": press.platform,
                    "user_id": press.user_id,
                    "action": press.action,
                    "value": press.value,
                    "reply_to": press.reply_to,
                    "received_at": now,
                    "lease_until": now + LEASE,
                    "attempts": 1,
                }
                for key, press in by_key.items()
                if key in new
            ]
            result = await session.execute(
                insert(PendingPress).values(rows).returning(PendingPress.id, PendingPress.key)
            )
            stored = {key: int(row_id) for row_id, key in result.all()}
        await session.commit()
    return stored


async def take_expired(
    sessions: async_sessionmaker[AsyncSession], now: datetime, limit: int = 200
) -> list[Press]:
    """Take up to ``limit`` presses whose lease ran out (their process died), oldest first.

    The conditional UPDATE decides between processes: a row another process took a moment
    ago no longer has an expired lease and is not returned here."""
    # Looking is read-only (on SQLite no write lock every sweep); only taking writes.
    async with plain_session(sessions, read_only=True) as session:
        ids = list(
            await session.scalars(
                select(PendingPress.id)
                .where(PendingPress.lease_until < now)
                .order_by(PendingPress.id)
                .limit(limit)
            )
        )
    if not ids:
        return []
    async with plain_session(sessions) as session:
        result = await session.execute(
            update(PendingPress)
            .where(PendingPress.id.in_(ids), PendingPress.lease_until < now)
            .values(lease_until=now + LEASE, attempts=PendingPress.attempts + 1)
            .returning(PendingPress)
            .execution_options(synchronize_session=False)
        )
        rows = list(result.scalars())
        await session.commit()
    return sorted(
        (
            Press(
                key=row.key,
                platform=row.platform,
                user_id=row.user_id,
                action=row.action,
                value=row.value,
                reply_to=row.reply_to,
                id=row.id,
                attempts=row.attempts,
            )
            for row in rows
        ),
        key=lambda press: press.id or 0,
    )


async def renew(
    sessions: async_sessionmaker[AsyncSession], ids: Sequence[int], now: datetime
) -> None:
    """Extend the leases of the presses this process is still working on."""
    await _lease_until(sessions, ids, now + LEASE)


async def release(
    sessions: async_sessionmaker[AsyncSession], ids: Sequence[int], now: datetime
) -> None:
    """End the leases of presses this process will not finish (it is shutting down)."""
    await _lease_until(sessions, ids, now)


async def _lease_until(
    sessions: async_sessionmaker[AsyncSession], ids: Sequence[int], until: datetime
) -> None:
    async with plain_session(sessions) as session:
        await session.execute(
            update(PendingPress)
            .where(PendingPress.id.in_(_IDS))
            .values(lease_until=until)
            .execution_options(synchronize_session=False),
            {"ids": list(ids)},
        )
        await session.commit()


async def remove(sessions: async_sessionmaker[AsyncSession], ids: Sequence[int]) -> None:
    """Forget processed presses (their seen marks stay, so a retry is still recognised)."""
    async with plain_session(sessions) as session:
        await session.execute(
            delete(PendingPress)
            .where(PendingPress.id.in_(_IDS))
            .execution_options(synchronize_session=False),
            {"ids": list(ids)},
        )
        await session.commit()
