"""The cheap part of a claim: is the offer still open to this rep? — and one writer per lead.

When a lead's teaser reaches 200 partners and their reps press Claim at once, one press
wins and 199 lose. Each press used to read its offer in a session of its own and then, the
offer being open when it looked, queue for the write transaction — 199 write transactions
on SQLite's single write lock (or the winner's row lock on PostgreSQL) only to learn that
somebody else had been faster. Two things keep the losers cheap:

* :func:`early_outcome` reads the presses' offers **in batches** (:mod:`bot.batching`):
  the presses waiting at the same moment are answered by one read-only query.
* :class:`LeadTurns` lets **one press per lead** into the write transaction at a time in
  this process; the next one reads again (batched) when its turn comes, and by then the
  lead is usually taken. The database still decides across processes (the conditional
  UPDATE in :mod:`bot.leads.claims`); this only keeps a process from racing itself.

The outcomes read here — gone, not this rep's, won, taken, closed — are final (an offer
never opens again), so they are the same whether read here or in the write transaction;
an open offer is always decided again in the write transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.batching import Batches, per_process
from bot.leads.claim_outcomes import ClaimOutcome, ClaimResult, Presser, owner_outcome
from bot.models import Lead, Offer, OfferStatus, Partner, Rep
from bot.sessions import plain_session
from bot.uow import UnitOfWork

READS = "leads.claim_reads"
TURNS = "leads.claim_turns"


@dataclass(frozen=True)
class StillOpen:
    """The offer was open to the rep when read: the write transaction decides."""

    lead_id: int


Early = ClaimResult | StillOpen


def settle(
    offer_id: int,
    offer: tuple[int, OfferStatus, str, bool] | None,
    rep: tuple[int, str] | None,
    owner: tuple[int, str, str | None] | None,
) -> Early:
    """The outcome of a press from plain facts: the offer (lead id, status, partner id,
    whether the partner exists), the presser (rep id, partner id) and the lead's owner
    (rep id, partner id, name). The write transaction asks the same (``_settled``)."""
    if offer is None:
        return ClaimResult(ClaimOutcome.NOT_FOUND, offer_id)
    lead_id, status, partner_id, partner_exists = offer
    if rep is None or not partner_exists or rep[1] != partner_id:
        return ClaimResult(ClaimOutcome.NOT_OFFERED, offer_id, lead_id)
    if status == OfferStatus.WON:
        return owner_outcome(Presser(offer_id, lead_id, rep[0], rep[1]), owner)
    if status == OfferStatus.TAKEN:
        return ClaimResult(ClaimOutcome.TAKEN, offer_id, lead_id)
    if status != OfferStatus.OPEN:
        return ClaimResult(ClaimOutcome.CLOSED, offer_id, lead_id)
    return StillOpen(lead_id)


_OWNER = aliased(Rep)
_OFFERS = (
    select(
        Offer.id,
        Offer.lead_id,
        Offer.status,
        Offer.partner_id,
        Partner.id.is_not(None),
        _OWNER.id,
        _OWNER.partner_id,
        _OWNER.name,
    )
    .join(Lead, Lead.id == Offer.lead_id)
    .outerjoin(Partner, Partner.id == Offer.partner_id)
    .outerjoin(_OWNER, _OWNER.id == Lead.owner_rep_id)
    .where(Offer.id.in_(bindparam("offer_ids", expanding=True)))
)
_REPS = select(Rep.id, Rep.partner_id).where(Rep.id.in_(bindparam("rep_ids", expanding=True)))
"""Built once: building a statement with an alias cost more than running it."""


async def _read(
    sessions: async_sessionmaker[AsyncSession], keys: list[tuple[int, int]]
) -> Mapping[tuple[int, int], Early]:
    """One read-only transaction for many presses: their offers with each lead's owner,
    and the pressing reps."""
    offer_ids = sorted({offer_id for offer_id, _ in keys})
    rep_ids = sorted({rep_id for _, rep_id in keys})
    async with plain_session(sessions, read_only=True) as session:
        offers = await session.execute(_OFFERS, {"offer_ids": offer_ids})
        reps = await session.execute(_REPS, {"rep_ids": rep_ids})
    found = {
        row[0]: ((row[1], row[2], row[3], bool(row[4])), None if row[5] is None else row[5:])
        for row in offers
    }
    pressers = {row[0]: (row[0], row[1]) for row in reps}
    answers: dict[tuple[int, int], Early] = {}
    for offer_id, rep_id in keys:
        offer, owned_by = found.get(offer_id, (None, None))
        answers[offer_id, rep_id] = settle(offer_id, offer, pressers.get(rep_id), owned_by)
    return answers


async def early_outcome(uow: UnitOfWork, offer_id: int, rep_id: int) -> Early:
    """The outcome of a press if it is already final, else :class:`StillOpen` (batched)."""
    sessions = uow.sessions
    reads: Batches[tuple[int, int], Early] = per_process(
        uow.cache, READS, lambda: Batches(lambda keys: _read(sessions, keys))
    )
    answer = await reads.get((offer_id, rep_id))
    assert answer is not None  # every key asked for gets an answer
    return answer


class LeadTurns:
    """Per lead, one claim at a time in this process (the others wait their turn)."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, lead_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(lead_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[lead_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[lead_id]
            if users <= 1:
                del self._locks[lead_id]
            else:
                self._locks[lead_id] = (lock, users - 1)


def lead_turns(uow: UnitOfWork) -> LeadTurns:
    return per_process(uow.cache, TURNS, LeadTurns)
