"""The outbox table as a sender sees it: claim due rows under a lease, renew the lease.

**Claiming** is one short transaction per batch. It reads the due rows that head their
address (no older row to that address is pending), most urgent first (see
:func:`_candidates`), takes their rate-limit tokens and marks the rows that got one
as held by this process until ``now + [outbox] lock_seconds`` (a row without a token is
not touched). Processes split the work instead of all fetching the same rows: on
PostgreSQL the claim locks its candidates with ``FOR UPDATE SKIP LOCKED`` (another
process's claim skips them), on SQLite every write transaction begins with ``BEGIN
IMMEDIATE``, so claims run one after another and each sees the rows the last one took.

**The lease** is renewed by the holder's heartbeat (:meth:`Ledger.renew`). A holder that
dies stops renewing; within one lease its rows are free again. A row taken over that way
is ``in_doubt`` (its holder may have sent it before dying), and so is a row whose last
answer was lost (a timeout): the transport looks on the platform before posting it again.

What became of a claimed row is recorded by :mod:`bot.delivery.outcomes`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.notices import NoticeKind
from bot.delivery.summary import MAX_GROUP, is_staff_feed
from bot.models import OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime
from bot.writegate import Turn

Admit = Callable[[Sequence[tuple[str, bool, Row]]], Awaitable[list[Row]]]
"""Given candidates as (address, is an edit, row), the ones that got their tokens."""


@dataclass
class Claim:
    """A row this process holds, and (for a staff summary) the rows queued behind it."""

    row: OutboxMessage
    followers: list[OutboxMessage] = field(default_factory=list)
    expires: float = 0.0
    """End of the lease as last confirmed (clock seconds); renewed by the heartbeat."""

    @property
    def ids(self) -> list[int]:
        return [self.row.id, *(f.id for f in self.followers)]


# The claim's statements are built once, with parameters: building them anew for every
# claim cost about a millisecond of CPU per claim (the candidates' CTEs the most), and a
# busy sender claims several times per lead.
_NOW = bindparam("now", type_=OutboxMessage.next_attempt_at.type)
_IDS = bindparam("ids", expanding=True, type_=OutboxMessage.id.type)
_FREE = or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < _NOW)
"""Not held by anyone at ``:now`` (never claimed, or the holder's lease has run out)."""


def _candidates(excluding: bool) -> Select[Any]:
    """Due rows of platform ``:platform`` that head their address, most urgent first, at
    most ``:limit``; with ``excluding``, none to the addresses in ``:exclude``.

    Urgency is inherited: an address is as urgent as the most urgent row waiting for it,
    because its head must go before that row can (a new lead's teaser queued behind the
    last teaser of a wide wave in the same channel lifts that teaser forward). A row's
    urgency is its lane, then its turn among its lead's rows queued together (``turn``), so
    the first teaser of every lead comes before the second of any: leads interleave.
    """
    row = OutboxMessage
    pending = (
        select(
            row.id,
            row.address,
            (cast(row.lane, Integer) * 1_000_000 + row.turn).label("urgency"),
        )
        .where(
            row.status == OutboxStatus.PENDING,
            row.platform == bindparam("platform", type_=row.platform.type),
        )
        .cte("pending")
    )
    heads = (
        select(
            pending.c.address,
            func.min(pending.c.id).label("head"),
            func.min(pending.c.urgency).label("urgency"),
        )
        .group_by(pending.c.address)
        .cte("heads")
    )
    conditions = [row.next_attempt_at <= _NOW, _FREE]
    if excluding:
        conditions.append(row.address.not_in(bindparam("exclude", expanding=True)))
    return (
        select(row.id, row.address, row.kind, row.claimed_by)
        .join(heads, heads.c.head == row.id)
        .where(*conditions)
        .order_by(heads.c.urgency, row.id)
        .limit(bindparam("limit", type_=Integer))
    )


_CANDIDATES = {False: _candidates(False), True: _candidates(True)}
_LOCKABLE = (
    select(OutboxMessage.id)
    .where(OutboxMessage.id.in_(_IDS), OutboxMessage.status == OutboxStatus.PENDING, _FREE)
    .with_for_update(skip_locked=True)
)
"""PostgreSQL: the candidates no other process's claim holds (``FOR UPDATE SKIP LOCKED``)."""
_TAKE = (
    update(OutboxMessage)
    .where(OutboxMessage.id.in_(_IDS), OutboxMessage.status == OutboxStatus.PENDING, _FREE)
    .values(
        claimed_by=bindparam("holder", type_=OutboxMessage.claimed_by.type),
        locked_until=bindparam("until", type_=OutboxMessage.locked_until.type),
        # Still claimed by someone whose lease ran out: they may have sent it.
        in_doubt=or_(OutboxMessage.in_doubt, OutboxMessage.claimed_by.is_not(None)),
    )
    .returning(OutboxMessage)
    .execution_options(synchronize_session=False)
)

_BEHIND = (
    select(
        OutboxMessage.id,
        OutboxMessage.kind,
        OutboxMessage.next_attempt_at,
        OutboxMessage.locked_until,
        OutboxMessage.claimed_by,
    )
    .where(
        OutboxMessage.platform == bindparam("platform", type_=OutboxMessage.platform.type),
        OutboxMessage.address == bindparam("address", type_=OutboxMessage.address.type),
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.id > bindparam("head", type_=OutboxMessage.id.type),
    )
    .order_by(OutboxMessage.id)
    .limit(MAX_GROUP - 1)
)
"""The rows queued behind a staff row (``:head``) to its address, oldest first."""


class Ledger:
    def __init__(self, runtime: Runtime, holder: str) -> None:
        self.runtime = runtime
        self.holder = holder
        self.settings = runtime.settings.outbox
        self.postgres = runtime.engine.dialect.name == "postgresql"

    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lock_seconds)

    # --- claiming ------------------------------------------------------------------------

    async def claim(
        self, platform: Platform, limit: int, exclude: Sequence[str], admit: Admit
    ) -> list[Claim]:
        """Take up to ``limit`` due rows of ``platform`` whose rate limits allow a send now."""
        now = self.runtime.clock.now()
        until = now + self.lease()
        async with self.runtime.uow(Turn.SENDER) as uow:
            session = uow.session
            params: dict[str, Any] = {"platform": platform.value, "now": now, "limit": limit}
            if exclude:
                params["exclude"] = list(exclude)
            found = list((await session.execute(_CANDIDATES[bool(exclude)], params)).all())
            if found and self.postgres:
                ids = [c.id for c in found]
                lockable = set(await session.scalars(_LOCKABLE, {"ids": ids, "now": now}))
                found = [c for c in found if c.id in lockable]
            edits = NoticeKind.TEASER_CLOSED.value
            admitted = (
                await admit([(c.address, c.kind == edits, c) for c in found]) if found else []
            )
            if not admitted:
                return []
            heads = await self._take(session, [c.id for c in admitted], now, until)
            previous = {c.id: c.claimed_by for c in admitted}
            order = {c.id: n for n, c in enumerate(admitted)}
            claims = []
            for head in sorted(heads, key=lambda r: order[r.id]):
                followers = await self._summary_group(session, head, previous[head.id], now, until)
                claims.append(Claim(head, followers, until.timestamp()))
            await uow.commit()
            return claims

    async def _take(
        self, session: AsyncSession, ids: Sequence[int], now: datetime, until: datetime
    ) -> list[OutboxMessage]:
        if not ids:
            return []
        params = {"ids": list(ids), "now": now, "holder": self.holder, "until": until}
        taken = await session.scalars(_TAKE, params)
        return list(taken.all())

    async def _summary_group(
        self,
        session: AsyncSession,
        head: OutboxMessage,
        previous_holder: str | None,
        now: datetime,
        until: datetime,
    ) -> list[OutboxMessage]:
        """The staff rows queued right behind ``head`` that one summary should stand for.

        When the feed is behind (``[outbox] staff_summary_after`` rows waiting), every due
        staff row directly behind the head. When the head is taken over from a dead holder,
        exactly the rows that holder had grouped with it (its summary may be posted).
        """
        threshold = self.settings.staff_summary_after
        if not is_staff_feed(head.kind) or (threshold == 0 and previous_holder is None):
            return []
        params = {"platform": head.platform, "address": head.address, "head": head.id}
        behind = (await session.execute(_BEHIND, params)).all()
        run: list[int] = []
        for row in behind:
            held = row.locked_until is not None and row.locked_until >= now
            if not is_staff_feed(row.kind) or row.next_attempt_at > now or held:
                break
            if row.claimed_by != previous_holder:
                break
            run.append(row.id)
        if previous_holder is None and len(run) + 1 < threshold:
            return []
        if not run:
            return []
        return sorted(await self._take(session, run, now, until), key=lambda r: r.id)

    async def renew(self, ids: Sequence[int]) -> set[int]:
        """Extend the lease of rows this process holds; returns the ids it still holds."""
        if not ids:
            return set()
        now = self.runtime.clock.now()
        async with self.runtime.uow() as uow:
            result = await uow.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(list(ids)),
                    OutboxMessage.claimed_by == self.holder,
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
                .values(locked_until=now + self.lease())
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            renewed = set(result.scalars())
            await uow.commit()
            return renewed

    async def release(self, ids: Sequence[int]) -> None:
        """Give back rows that were claimed but never sent (their read failed): free at once,
        ``in_doubt`` kept."""
        if not ids:
            return
        async with self.runtime.uow() as uow:
            await uow.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.claimed_by == self.holder)
                .values(claimed_by=None, locked_until=None)
                .execution_options(synchronize_session=False)
            )
            await uow.commit()

    # --- reading ---------------------------------------------------------------------------

    async def pending(self, platforms: Sequence[Platform]) -> int:
        async with self.runtime.uow() as uow:
            await uow.read_only()
            count = await uow.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.platform.in_([p.value for p in platforms]),
                )
            )
            return int(count or 0)
