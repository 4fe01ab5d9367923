"""Offering a lead to partners in waves, and moving on when a wave expires.

A *round* starts whenever a lead goes (back) to matching: first intake, staff release,
re-offer after ``unclaimed``, hand back or recall. A round has the waves of
``[distribution] waves``; each wave adds the next best partners to those already offered
(earlier teasers stay claimable) and has a durable expiry timer. Each wave re-runs the
matching, so capacity or pauses that changed meanwhile are respected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bot.actors import Actor
from bot.content.anonymize import teaser_facts
from bot.delivery.notices import NoticeKind, ToPartner
from bot.delivery.outbox import IdOf
from bot.directory.lead_ranking import decide
from bot.leads.events import change_status, record
from bot.matching import Decision, next_wave
from bot.models import Lead, LeadPersonalData, LeadStatus, Offer, OfferStatus, Timer, TimerKind
from bot.uow import UnitOfWork


@dataclass(frozen=True)
class RoundOutcome:
    status: LeadStatus
    offered_to: tuple[str, ...]  # partner ids in the first wave


async def _offered_this_round(uow: UnitOfWork, lead: Lead) -> set[str]:
    rows = await uow.session.scalars(
        select(Offer.partner_id).where(Offer.lead_id == lead.id, Offer.round == lead.offer_round)
    )
    return set(rows.all())


async def start_round(
    uow: UnitOfWork, lead: Lead, actor: Actor, personal: LeadPersonalData | None = None
) -> RoundOutcome:
    """Send ``lead`` to matching: offer the first wave, or mark it unmatched.

    ``personal``: the lead's personal data when the caller has it at hand (intake)."""
    ranking = await decide(uow, lead, personal)
    if not ranking:
        if lead.status is LeadStatus.UNMATCHED:  # matched again (re-offer): still nobody
            record(uow, lead, actor, "rematched", partners_checked=ranking.checked)
        else:
            change_status(uow, lead, LeadStatus.UNMATCHED, actor, partners_checked=ranking.checked)
        await uow.outbox.staff("unmatched", lead_id=lead.id, partners_checked=ranking.checked)
        return RoundOutcome(LeadStatus.UNMATCHED, ())
    lead.offer_round += 1
    lead.current_wave = 0
    lead.offered_at = uow.clock.now()
    change_status(uow, lead, LeadStatus.OFFERED, actor, round=lead.offer_round)
    size = uow.settings.distribution.waves[0].size
    first = ranking.top(size or None)
    await _open_wave(uow, lead, 1, first, actor)
    return RoundOutcome(LeadStatus.OFFERED, tuple(d.partner_id for d in first))


async def _offer(
    uow: UnitOfWork, lead: Lead, wave: int, decisions: list[Decision], expires_at: datetime
) -> None:
    """Offers to ``decisions`` in the lead's current round, with their teasers."""
    known = frozenset(p.id for p in uow.settings.products) or None
    facts = teaser_facts(lead, known).to_json()
    # The first wave opens a round whose number was just taken: nothing is offered in it yet.
    already = (
        0
        if wave == 1
        else await uow.session.scalar(
            select(func.count())
            .select_from(Offer)
            .where(Offer.lead_id == lead.id, Offer.round == lead.offer_round)
        )
    )
    now = uow.clock.now()
    offers = [
        Offer(
            lead_id=lead.id,
            partner_id=d.partner_id,
            round=lead.offer_round,
            wave=wave,
            rank=(already or 0) + i + 1,
            score=d.score,
            status=OfferStatus.OPEN,
            created_at=now,
        )
        for i, d in enumerate(decisions)
    ]
    uow.session.add_all(offers)
    await uow.outbox.load_partners([offer.partner_id for offer in offers])
    for offer in offers:
        await uow.outbox.enqueue(
            ToPartner(offer.partner_id),
            NoticeKind.TEASER,
            {
                "offer_id": IdOf(offer),  # flushed when the teaser is written
                "wave": wave,
                "expires_at": expires_at.isoformat(),
                "facts": facts,
            },
            lead_id=lead.id,
        )


def _expiry_timer(uow: UnitOfWork, lead: Lead, expires_at: datetime) -> Timer:
    payload = {"round": lead.offer_round, "wave": lead.current_wave}
    return Timer(
        kind=TimerKind.WAVE_EXPIRY,
        lead_id=lead.id,
        due_at=expires_at,
        payload=payload,
        created_at=uow.clock.now(),
    )


async def _open_wave(
    uow: UnitOfWork, lead: Lead, wave: int, decisions: list[Decision], actor: Actor
) -> None:
    waves = uow.settings.distribution.waves
    now = uow.clock.now()
    expires_at = now + timedelta(minutes=waves[wave - 1].minutes)
    # Waves widen and earlier teasers stay claimable, so a teaser is open until the round
    # ends — at the latest when the last wave would expire — not until this wave's end.
    round_ends = now + timedelta(minutes=sum(w.minutes for w in waves[wave - 1 :]))
    lead.current_wave = wave
    await _offer(uow, lead, wave, decisions, round_ends)
    uow.session.add(_expiry_timer(uow, lead, expires_at))
    record(
        uow,
        lead,
        actor,
        "wave",
        round=lead.offer_round,
        wave=wave,
        partners=[d.partner_id for d in decisions],
        expires_at=expires_at.isoformat(),
    )
    await uow.outbox.staff(
        "offered" if decisions else "wave_nobody_new",
        lead_id=lead.id,
        wave=wave,
        waves=len(waves),
        partners=len(decisions),
        minutes=waves[wave - 1].minutes,
    )


async def offer_exclusively(uow: UnitOfWork, lead: Lead, partner_id: str, actor: Actor) -> None:
    """A new round with one offer, to ``partner_id`` alone (staff's manual assignment).

    The offer is open for the first wave's time; when it expires unclaimed the round ends
    (``unclaimed``) instead of widening to others, and staff decide again.
    """
    waves = uow.settings.distribution.waves
    await close_open_offers(uow, lead, OfferStatus.CLOSED, "withdrawn")
    await cancel_timers(uow, lead.id, TimerKind.WAVE_EXPIRY)
    lead.offer_round += 1
    lead.current_wave = len(waves)  # the round's last wave: no wider one follows
    lead.offered_at = uow.clock.now()
    expires_at = uow.clock.now() + timedelta(minutes=waves[0].minutes)
    decision = Decision(partner_id=partner_id, eligible=True, score=0.0, components={})
    await _offer(uow, lead, 1, [decision], expires_at)
    uow.session.add(_expiry_timer(uow, lead, expires_at))


async def expire_wave(uow: UnitOfWork, lead: Lead, round_: int, wave: int) -> str:
    """A wave's timer fired: open the next wave, or give up (``unclaimed``).

    Returns what happened ("next_wave", "unclaimed" or "obsolete" when the lead moved on).
    """
    if lead.status != LeadStatus.OFFERED or lead.offer_round != round_ or lead.current_wave != wave:
        return "obsolete"
    actor = Actor.system()
    waves = uow.settings.distribution.waves
    if wave < len(waves):
        offered = await _offered_this_round(uow, lead)
        ranking = await decide(uow, lead)
        chosen_ids = set(next_wave(ranking.ids, offered, waves[wave].size))
        chosen = [ranking.decision(i) for i, pid in enumerate(ranking.ids) if pid in chosen_ids]
        await _open_wave(uow, lead, wave + 1, chosen, actor)
        return "next_wave"
    change_status(uow, lead, LeadStatus.UNCLAIMED, actor, round=round_)
    await close_open_offers(uow, lead, OfferStatus.CLOSED, "expired")
    await uow.outbox.staff("unclaimed", lead_id=lead.id, round=round_)
    return "unclaimed"


async def close_open_offers(
    uow: UnitOfWork,
    lead: Lead,
    status: OfferStatus,
    reason: str,
    *,
    except_offer: int | None = None,
) -> list[Offer]:
    """Close every open offer of ``lead`` and edit its teasers (taken/expired/withdrawn)."""
    offers = (
        await uow.session.scalars(
            select(Offer).where(Offer.lead_id == lead.id, Offer.status == OfferStatus.OPEN)
        )
    ).all()
    now = uow.clock.now()
    closed = []
    await uow.outbox.load_partners([o.partner_id for o in offers if o.id != except_offer])
    for offer in offers:
        if offer.id == except_offer:
            continue
        offer.status = status
        offer.closed_at = now
        closed.append(offer)
        await uow.outbox.enqueue(
            ToPartner(offer.partner_id),
            NoticeKind.TEASER_CLOSED,
            {"offer_id": offer.id, "reason": reason},
            lead_id=lead.id,
        )
    return closed


async def cancel_timers(uow: UnitOfWork, lead_id: int, *kinds: TimerKind) -> None:
    query = update(Timer).where(Timer.lead_id == lead_id, Timer.done_at.is_(None))
    if kinds:
        query = query.where(Timer.kind.in_(kinds))
    await uow.session.execute(
        query.values(done_at=uow.clock.now(), outcome="cancelled").execution_options(
            synchronize_session=False
        )
    )
