"""Who holds which outbox rows, as ``leadbot outbox status`` tells the operator.

A lease (``claimed_by``, ``locked_until``) says only that a process took a row and until
when it may keep it: the holder renews it while it lives, and one that was killed keeps
it until it ends. Nothing in the database says whether the holder still runs, so the
rows are told apart as the next sender will treat them (:mod:`bot.delivery.ledger`):

* **held** — the lease still runs: being sent, or its holder died and the row is in
  doubt once the lease ends;
* **abandoned** — the lease ran out while the row is still claimed: its holder stopped
  mid-send (it neither recorded an outcome nor renewed the lease). The row is in doubt:
  the next sender takes it over knowing it may already be on the platform;
* **in doubt, waiting** — nobody holds it, and the outcome of its last attempt is not
  known (an answer was lost, or a taken-over row's retry failed); it waits for its retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from bot.models import OutboxMessage, OutboxStatus
from bot.uow import UnitOfWork


@dataclass(frozen=True)
class Lease:
    """Rows of one platform under one holder's lease(s), all running or all run out."""

    platform: str
    holder: str | None  # None only for rows leased without a holder (not written today)
    rows: int
    in_doubt: int
    """Of ``rows``, those already in doubt (taken over from a holder that stopped)."""
    until: datetime
    """When the last of these leases ends (or ended)."""


@dataclass
class Holders:
    """The pending rows under a lease or in doubt, at ``now``."""

    now: datetime
    held: list[Lease] = field(default_factory=list)
    abandoned: list[Lease] = field(default_factory=list)
    waiting_in_doubt: dict[str, int] = field(default_factory=dict)
    """Per platform: rows in doubt that nobody holds, waiting for their retry."""

    @property
    def in_doubt(self) -> int:
        """Every row the next attempt treats as in doubt (running leases included)."""
        return (
            sum(lease.in_doubt for lease in self.held)
            + sum(lease.rows for lease in self.abandoned)
            + sum(self.waiting_in_doubt.values())
        )


async def holders(uow: UnitOfWork) -> Holders:
    """The held, abandoned and in-doubt pending rows, grouped by platform and holder."""
    now = uow.clock.now()
    row = OutboxMessage
    running = row.locked_until >= now  # the ledger's "free" is locked_until < now
    ran_out = or_(row.locked_until.is_(None), row.locked_until < now)
    claimed = row.claimed_by.is_not(None)
    groups = await uow.session.execute(
        select(
            row.platform,
            row.claimed_by,
            func.count().filter(running),
            func.count().filter(and_(running, row.in_doubt)),
            func.max(row.locked_until).filter(running),
            func.count().filter(and_(claimed, ran_out)),
            func.max(row.locked_until).filter(and_(claimed, ran_out)),
            func.count().filter(and_(row.claimed_by.is_(None), ran_out, row.in_doubt)),
        )
        .where(
            row.status == OutboxStatus.PENDING,
            or_(claimed, row.locked_until >= now, row.in_doubt),
        )
        .group_by(row.platform, row.claimed_by)
        .order_by(row.platform, row.claimed_by)
    )
    found = Holders(now)
    for platform, holder, held, doubtful, until, gone, gone_until, waiting in groups.all():
        if held:
            found.held.append(Lease(platform, holder, held, doubtful, until))
        if gone:
            # A claimed row without a lease end (never written so) counts as run out now.
            found.abandoned.append(Lease(platform, holder, gone, gone, gone_until or now))
        if waiting:
            found.waiting_in_doubt[platform] = found.waiting_in_doubt.get(platform, 0) + waiting
    return found
