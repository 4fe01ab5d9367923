"""The claim: the first suitable rep to press Claim gets the lead — exactly one, always.

Exactly-one is guaranteed by the database, not by locks in this process: the lead moves
from ``offered`` to ``claimed`` with one conditional UPDATE (``... WHERE status = 'offered'
AND offer_round = :round RETURNING id``). Whoever's UPDATE returns the row has won; every
other claimer, in any process, on any platform, sees no row and is told it is taken. The
eligibility checks run in the same transaction, so a refused claim changes nothing.
(Inside one process, presses on the same lead take turns and losers are answered from a
batched read — :mod:`bot.leads.claim_reads` — which saves work but decides nothing.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actors import Actor
from bot.content.sending import send_content_pack
from bot.delivery.notices import NoticeKind, ToPartner, ToRep
from bot.directory.availability import is_paused, local_today
from bot.leads.claim_outcomes import ClaimOutcome, ClaimResult, Presser, owner_outcome
from bot.leads.claim_reads import early_outcome, lead_turns, settle
from bot.leads.distribution import cancel_timers, close_open_offers
from bot.leads.events import record
from bot.leads.lifecycle import OWNED
from bot.models import (
    Channel,
    Lead,
    LeadEvent,
    LeadStatus,
    Offer,
    OfferStatus,
    Partner,
    Platform,
    Rep,
    Timer,
    TimerKind,
)
from bot.uow import UnitOfWork


def sla_timers(uow: UnitOfWork, lead: Lead, claimed_at: datetime) -> list[Timer]:
    dist = uow.settings.distribution
    recall_at = claimed_at + timedelta(hours=dist.claim_sla_hours)
    payload = {"rep_id": lead.owner_rep_id, "claimed_at": claimed_at.isoformat()}
    timers = [
        Timer(kind=TimerKind.CLAIM_SLA_RECALL, lead_id=lead.id, due_at=recall_at, payload=payload)
    ]
    if dist.reminder_before_recall_hours > 0:
        remind_at = recall_at - timedelta(hours=dist.reminder_before_recall_hours)
        timers.append(
            Timer(
                kind=TimerKind.CLAIM_SLA_REMINDER,
                lead_id=lead.id,
                due_at=remind_at,
                payload=payload,
            )
        )
    return timers


async def _owner(session: AsyncSession, lead_id: int) -> tuple[int, str, str | None] | None:
    """Who has the lead: rep id, partner id, name (None: nobody)."""
    owner = (
        await session.execute(
            select(Rep.id, Rep.partner_id, Rep.name)
            .join(Lead, Lead.owner_rep_id == Rep.id)
            .where(Lead.id == lead_id)
        )
    ).first()
    return None if owner is None else (owner[0], owner[1], owner[2])


async def _assigned(uow: UnitOfWork, offer: Offer) -> bool:
    """Whether staff assigned this offer's round to the partner (capacity was their call)."""
    events = await uow.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == offer.lead_id, LeadEvent.kind == "assigned")
    )
    return any(
        e.partner_id == offer.partner_id and e.detail.get("round") == offer.round for e in events
    )


@dataclass(frozen=True)
class _Open:
    """The offer is open to this rep: what the write path goes on with."""

    offer: Offer
    rep: Rep
    partner: Partner
    presser: Presser


async def _settled(session: AsyncSession, offer_id: int, rep_id: int) -> ClaimResult | _Open:
    """The answer when the offer is gone, not this rep's, or no longer open; else ``_Open``
    (decided by :func:`~bot.leads.claim_reads.settle`, as the early read is)."""
    offer = await session.get(Offer, offer_id)
    if offer is None:
        return ClaimResult(ClaimOutcome.NOT_FOUND, offer_id)
    rep = await session.get(Rep, rep_id)
    partner = await session.get(Partner, offer.partner_id)
    owner = await _owner(session, offer.lead_id) if offer.status == OfferStatus.WON else None
    decided = settle(
        offer_id,
        (offer.lead_id, offer.status, offer.partner_id, partner is not None),
        None if rep is None else (rep.id, rep.partner_id),
        owner,
    )
    if isinstance(decided, ClaimResult):
        return decided
    assert rep is not None and partner is not None  # settle said: open to this rep
    return _Open(offer, rep, partner, Presser(offer.id, offer.lead_id, rep.id, rep.partner_id))


async def claim(uow: UnitOfWork, offer_id: int, rep_id: int, via: Platform) -> ClaimResult:
    """Try to claim the lead behind ``offer_id`` for ``rep_id``; commits on success.

    A press on an offer that is already taken (the many losers of a race that has been
    decided) is answered by the batched read-only early read (:mod:`bot.leads.claim_reads`):
    it never waits for the write lock (SQLite) or the winner's row lock (PostgreSQL). A
    press on an open offer waits for its lead's turn in this process, reads again, and is
    decided inside the write transaction. (Not when ``uow`` is already in a transaction: a
    separate session would not see what it has not committed yet.)
    """
    if uow.session.in_transaction():
        return await _decide(uow, offer_id, rep_id, via)
    early = await early_outcome(uow, offer_id, rep_id)
    if isinstance(early, ClaimResult):
        return early
    async with lead_turns(uow).turn(early.lead_id):
        again = await early_outcome(uow, offer_id, rep_id)  # the press before may have won
        if isinstance(again, ClaimResult):
            return again
        return await _decide(uow, offer_id, rep_id, via)


async def _decide(uow: UnitOfWork, offer_id: int, rep_id: int, via: Platform) -> ClaimResult:
    """The claim inside the write transaction: the conditional UPDATE decides."""
    session = uow.session
    found = await _settled(session, offer_id, rep_id)
    if isinstance(found, ClaimResult):
        return found
    offer, rep, partner, presser = found.offer, found.rep, found.partner, found.presser
    if not rep.active or not partner.active:
        return ClaimResult(ClaimOutcome.INACTIVE, offer_id, offer.lead_id)
    if is_paused(partner, local_today(uow)):
        return ClaimResult(ClaimOutcome.PAUSED, offer_id, offer.lead_id)
    open_leads = await session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.owner_partner_id == partner.id, Lead.status.in_(OWNED))
    )
    if (open_leads or 0) >= partner.max_open_leads and not await _assigned(uow, offer):
        return ClaimResult(ClaimOutcome.AT_CAPACITY, offer_id, offer.lead_id)

    now = uow.clock.now()
    won = await session.scalar(
        update(Lead)
        .where(
            Lead.id == offer.lead_id,
            Lead.status == LeadStatus.OFFERED,
            Lead.offer_round == offer.round,
        )
        .values(
            status=LeadStatus.CLAIMED,
            owner_partner_id=partner.id,
            owner_rep_id=rep.id,
            claimed_at=now,
            claimed_via=via.value,
            updated_at=now,
        )
        .returning(Lead.id)
        .execution_options(synchronize_session=False)
    )
    if won is None:
        await uow.rollback()
        return owner_outcome(presser, await _owner(session, presser.lead_id))

    lead = await session.get(Lead, offer.lead_id, populate_existing=True)
    assert lead is not None
    offer.status = OfferStatus.WON
    offer.closed_at = now
    actor = Actor.rep(Channel(via.value), rep.id, partner.id, rep.name)
    record(
        uow,
        lead,
        actor,
        "status",
        from_status=LeadStatus.OFFERED,
        to_status=LeadStatus.CLAIMED,
        offer_id=offer.id,
        wave=offer.wave,
    )
    await close_open_offers(uow, lead, OfferStatus.TAKEN, "taken")
    await uow.outbox.enqueue(  # the winner's own teaser shows "taken" too
        ToPartner(offer.partner_id),
        NoticeKind.TEASER_CLOSED,
        {"offer_id": offer.id, "reason": "taken"},
        lead_id=lead.id,
    )
    await cancel_timers(uow, lead.id, TimerKind.WAVE_EXPIRY)
    session.add_all(sla_timers(uow, lead, now))
    await uow.outbox.enqueue(
        ToRep(rep.id, via),
        NoticeKind.LEAD_CARD,
        {"event": "claimed", "new_card": True},
        lead_id=lead.id,
    )
    offered_at = lead.offered_at or now
    await uow.outbox.staff(
        "claimed",
        lead_id=lead.id,
        partner=partner.name,
        rep=rep.name,
        minutes=int((now - offered_at).total_seconds() // 60),
        wave=offer.wave,
    )
    await send_content_pack(uow, lead, rep.id, via)  # after "claimed": staff may hear "no kit"
    await uow.commit()
    return ClaimResult(ClaimOutcome.WON, offer_id, lead.id)
