"""The key tombstones are made with, and that every process shares it.

Tombstones (:mod:`bot.crm.erased_leads`) are HMACs under a key kept outside the database
(``LEADBOT_SERVER__TOMBSTONE_KEY``). Without a configured key leadbot uses a built-in one,
so erasure works on a fresh install; those tombstones are then only as strong as a plain
hash. Lookups try the configured key *and* the built-in one, so tombstones written before
the key was set keep working.

**One key per database.** A process with another key (or none) would compute other hashes,
miss every tombstone and take erased leads in again. So the database remembers the key's
fingerprint (``HMAC-SHA256(key, FINGERPRINT_TEXT)``, never the key) in ``tombstone_key``:
the first process that uses tombstones with a configured key records it
(:func:`check_key`: ``leadbot serve`` at its start, ``leadbot leads import``, an erasure).
From then on a process whose key differs — or that has none — refuses
(:class:`~bot.config.TombstoneKeyMismatch`) before it writes anything: serve does not start,
a command ends with exit status 1, and a process that was already running when the key
was recorded finds out in its next intake or erasure (intake asks in the statement it
runs anyway, :func:`other_key_query`: no extra round trip). The built-in key is never
recorded: every lookup tries it, so its tombstones fit any key. Tombstones cannot be
hashed again under a new key (they are one-way): changing the key means losing them,
which only :func:`reset_key` (``leadbot tombstones reset-key``) does, on purpose.

**The first key cannot be verified.** A database from before the fingerprint (migration
0011) may hold tombstones made with a key nobody recorded. A tombstone is an HMAC of a
value leadbot no longer has, so no process can tell which key made it: the first process
to record its key over existing tombstones logs a WARNING (:func:`unverified_warning`;
``leadbot serve`` repeats it among its start-up warnings) instead of pretending it checked
— once the transaction that records the key has committed: a recording that rolls back
(an erasure that fails after it) recorded nothing, and says nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import ScalarSelect, bindparam, delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bot.config import Settings, TombstoneKeyMismatch
from bot.models import LeadTombstone, TombstoneKey
from bot.sessions import plain_session

BUILTIN_KEY = b"leadbot tombstone key (set LEADBOT_SERVER__TOMBSTONE_KEY)"
KEY_ENV = "LEADBOT_SERVER__TOMBSTONE_KEY"
FINGERPRINT_TEXT = b"leadbot tombstone key fingerprint"
HEALTH_PART = "tombstone_key"
"""The part of ``/healthz`` that says whether this process's key fits the database."""
HEALTH_DOWN = f"{KEY_ENV} does not fit the database"
KEY_PARAM = "tombstone_key"
"""The bound parameter of :func:`other_key_query`: this process's :func:`own_fingerprint`."""
_KEY_ROW = 1
_UNVERIFIED = "tombstones.unverified"
"""``session.info``: how many tombstones the key this transaction recorded could not be
verified against — said once the transaction commits (:func:`_say_unverified`)."""

log = logging.getLogger(__name__)


def configured_key(settings: Settings) -> bytes | None:
    """``LEADBOT_SERVER__TOMBSTONE_KEY`` as bytes, or None when it is not set."""
    configured = settings.server.tombstone_key
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode()
    return None


def tombstone_keys(settings: Settings) -> list[bytes]:
    """The keys a tombstone may be made with, the one new tombstones are made with first:
    the configured key (if any), then the built-in one."""
    configured = configured_key(settings)
    return [BUILTIN_KEY] if configured is None else [configured, BUILTIN_KEY]


@lru_cache(maxsize=8)
def fingerprint(key: bytes) -> str:
    """What the database keeps of a key: an HMAC of a fixed text under it (one-way)."""
    return hmac.new(key, FINGERPRINT_TEXT, hashlib.sha256).hexdigest()


def own_fingerprint(settings: Settings) -> str:
    """The fingerprint of the key this process writes tombstones with (the built-in key's
    when none is configured: never recorded, so it matches no recorded key)."""
    return fingerprint(tombstone_keys(settings)[0])


def key_mismatch(settings: Settings) -> TombstoneKeyMismatch:
    """The refusal, saying which setting to fix and never a key."""
    if configured_key(settings) is None:
        first = (
            f"{KEY_ENV} is not set, but this database records its erased leads with a "
            "tombstone key: without it they could come back"
        )
    else:
        first = (
            f"{KEY_ENV} is not the tombstone key of this database: its erased leads are "
            "recorded with another key, and with this one they could come back"
        )
    return TombstoneKeyMismatch(
        f"{first}. Every leadbot process (serve and each command) needs the same key: set "
        "the one the database's tombstones are made with (the key your `leadbot serve` runs "
        "with); if it is lost, see `leadbot tombstones reset-key` (docs/crm.md, 'The "
        "tombstone key')."
    )


def unverified_warning(count: int) -> str:
    """What to say when this process recorded its key over ``count`` tombstones it could
    not verify it against (:func:`check_key`)."""
    tombstones = f"{count} tombstone{'' if count == 1 else 's'} of erased leads"
    return (
        f"{KEY_ENV} is now recorded as this database's tombstone key, but it could not be "
        f"verified against the {tombstones} made before it was recorded: a tombstone is a "
        "one-way hash of a value leadbot no longer has. Those made without a key fit any key; "
        "those made with a key fit only that key. If this is not the key your leadbot "
        "processes used before, set that one and run `leadbot tombstones reset-key` with it, "
        "or the leads erased under it can come back (docs/crm.md, 'The tombstone key')."
    )


def other_key_query() -> ScalarSelect[str]:
    """The recorded key's fingerprint if it is not this process's (bound as
    :data:`KEY_PARAM`), else NULL: a subquery for the statements that look tombstones up,
    so every look-up checks the key without a round trip of its own."""
    return (
        select(TombstoneKey.fingerprint)
        .where(TombstoneKey.fingerprint != bindparam(KEY_PARAM))
        .limit(1)
        .scalar_subquery()
    )


_RECORDED = select(TombstoneKey.fingerprint).where(TombstoneKey.id == _KEY_ROW)


_TOMBSTONES = select(func.count()).select_from(LeadTombstone)


async def check_key(
    session: AsyncSession, settings: Settings, now: datetime, *, record: bool = True
) -> int:
    """Raise :class:`~bot.config.TombstoneKeyMismatch` if the database's tombstones are made
    with another key. If none is recorded yet and this process has a configured key, record
    it (``record``; in ``session``'s transaction: the caller commits) — the first process
    decides, and one that records at the same moment with another key then finds it.

    Returns how many tombstones were there already when this call recorded the key (0 if it
    recorded none): the key could not be verified against them, and a WARNING says so
    (:func:`unverified_warning`) when ``session``'s transaction commits — not before: if it
    rolls back, no key was recorded and there is nothing to warn about."""
    recorded = await session.scalar(_RECORDED)
    own = own_fingerprint(settings)
    unverified = 0
    if recorded is None and record and configured_key(settings) is not None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = await session.execute(
            dialect.insert(TombstoneKey)
            .values(id=_KEY_ROW, fingerprint=own, recorded_at=now)
            .on_conflict_do_nothing()
        )
        recorded = await session.scalar(_RECORDED)
        if inserted.rowcount == 1:  # type: ignore[attr-defined]  # this process recorded it
            unverified = await session.scalar(_TOMBSTONES) or 0
            if unverified:
                session.sync_session.info[_UNVERIFIED] = unverified
    if recorded is not None and recorded != own:
        raise key_mismatch(settings)
    return unverified


@event.listens_for(Session, "after_commit")
def _say_unverified(session: Session) -> None:
    """The key :func:`check_key` recorded is in the database now: warn that it could not
    be verified. (A savepoint's commit is not the transaction's: it waits for that.)"""
    if session.in_nested_transaction():
        return
    unverified = session.info.pop(_UNVERIFIED, 0)
    if unverified:
        log.warning("%s", unverified_warning(unverified))


@event.listens_for(Session, "after_transaction_end")
def _forget_unverified(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit (rolled back, or closed) recorded no key."""
    if transaction.parent is None:
        session.info.pop(_UNVERIFIED, None)


async def settle_key(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    record: bool = True,
) -> int:
    """:func:`check_key` in a transaction of its own: for ``leadbot serve``'s start and the
    commands that use tombstones, before they do anything else. Returns what it returns."""
    async with plain_session(sessions) as session:
        unverified = await check_key(session, settings, now, record=record)
        await session.commit()
    return unverified


async def key_fits(connection: AsyncConnection, settings: Settings) -> bool:
    """Whether this process may use the tombstones: no key recorded, or its own — for
    ``/healthz``, which asks on every check (one row by its primary key)."""
    recorded = await connection.scalar(_RECORDED)
    return recorded is None or recorded == own_fingerprint(settings)


async def reset_key(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Make this process's key the database's (none configured: no key recorded, the next
    process with one records its own). The tombstones made with the old key are not
    matched by the new one any more: the leads they keep out can come back. The caller
    commits."""
    await session.execute(delete(TombstoneKey))
    if configured_key(settings) is not None:
        session.add(
            TombstoneKey(id=_KEY_ROW, fingerprint=own_fingerprint(settings), recorded_at=now)
        )


@dataclass(frozen=True)
class KeyState:
    """What ``leadbot tombstones check`` reports: whether a key is recorded and whether it
    is this process's (``"none"``, ``"same"``, ``"other"``), how many tombstones there are,
    and how many of them are older than the record (never verified against the key)."""

    state: str
    tombstones: int
    older: int = 0
    recorded_at: datetime | None = None


async def key_state(session: AsyncSession, settings: Settings) -> KeyState:
    """The database's tombstone key as this process sees it (:class:`KeyState`)."""
    row = (
        await session.execute(
            select(TombstoneKey.fingerprint, TombstoneKey.recorded_at).where(
                TombstoneKey.id == _KEY_ROW
            )
        )
    ).one_or_none()
    count = await session.scalar(_TOMBSTONES) or 0
    if row is None:
        return KeyState("none", count)
    fingerprint_, recorded_at = row
    older = await session.scalar(_TOMBSTONES.where(LeadTombstone.erased_at < recorded_at)) or 0
    state = "same" if fingerprint_ == own_fingerprint(settings) else "other"
    return KeyState(state, count, older, recorded_at)
