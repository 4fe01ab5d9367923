"""Offering a lead to partners in waves, and moving on when a wave expires.

A *round* starts whenever a lead goes (back) to matching: first intake, staff release,
re-offer after ``unclaimed``, hand back or recall. A round has the waves of
``[distribution] waves``; each wave adds the next best partners to those already offered
(earlier teasers stay claimable) and has a durable expiry timer. Each wave re-runs the
matching, so capacity or pauses that changed meanwhile are respected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.actors import Actor
from bot.content.anonymize import teaser_facts
from bot.lifecycle import OWNED
from bot.matching import Decision, LeadProfile, PartnerProfile, plan_waves, rank
from bot.models import (
    Lead,
    LeadExclusion,
    LeadPersonalData,
    LeadStatus,
    Offer,
    OfferStatus,
    Partner,
    Timer,
    TimerKind,
)
from bot.notices import NoticeKind, ToPartner
from bot.services.events import change_status, record
from bot.uow import UnitOfWork


@dataclass(frozen=True)
class RoundOutcome:
    status: LeadStatus
    offered_to: tuple[str, ...]  # partner ids in the first wave


async def lead_profile(uow: UnitOfWork, lead: Lead) -> LeadProfile:
    personal = await uow.session.get(LeadPersonalData, lead.id)
    return LeadProfile(
        lead_id=lead.id,
        country=lead.country,
        region=lead.region,
        postal_code=personal.postal_code if personal else None,
        lat=personal.lat if personal else None,
        lon=personal.lon if personal else None,
        products=tuple(lead.products),
        employees=lead.employees,
        industry=lead.industry,
        consent_partner_contact=lead.consent_partner_contact,
        allowed_partners=frozenset(lead.consent_allowed_partners),
        allowed_tiers=frozenset(lead.consent_allowed_tiers),
    )


async def open_lead_counts(uow: UnitOfWork) -> dict[str, int]:
    rows = await uow.session.execute(
        select(Lead.owner_partner_id, func.count())
        .where(Lead.status.in_(OWNED), Lead.owner_partner_id.is_not(None))
        .group_by(Lead.owner_partner_id)
    )
    return {pid: n for pid, n in rows.all() if pid is not None}


async def outcome_counts(uow: UnitOfWork) -> dict[str, tuple[int, int]]:
    """Per partner: (won, closed) over all time, for the conversion score."""
    rows = await uow.session.execute(
        select(Lead.owner_partner_id, Lead.status, func.count())
        .where(Lead.status.in_((LeadStatus.WON, LeadStatus.LOST)))
        .group_by(Lead.owner_partner_id, Lead.status)
    )
    out: dict[str, tuple[int, int]] = {}
    for pid, status, n in rows.all():
        if pid is None:
            continue
        won, closed = out.get(pid, (0, 0))
        out[pid] = (won + (n if status == LeadStatus.WON else 0), closed + n)
    return out


async def partner_profiles(uow: UnitOfWork) -> list[PartnerProfile]:
    today = uow.clock.now().date()
    open_counts = await open_lead_counts(uow)
    outcomes = await outcome_counts(uow)
    partners = (await uow.session.scalars(select(Partner).order_by(Partner.id))).all()
    return [
        PartnerProfile(
            id=p.id,
            name=p.name,
            tier=p.tier,
            certifications=dict(p.certifications),
            country=p.country,
            postal_code=p.postal_code,
            lat=p.lat,
            lon=p.lon,
            service_radius_km=p.service_radius_km,
            regions=tuple(p.regions),
            segments=tuple(p.segments),
            products=tuple(p.products),
            max_open_leads=p.max_open_leads,
            open_leads=open_counts.get(p.id, 0),
            active=p.active,
            on_leave=p.on_leave_until is not None and p.on_leave_until >= today,
            paused=p.paused_at is not None,
            won=outcomes.get(p.id, (0, 0))[0],
            closed=outcomes.get(p.id, (0, 0))[1],
        )
        for p in partners
    ]


async def excluded_partners(uow: UnitOfWork, lead_id: int) -> frozenset[str]:
    rows = await uow.session.scalars(
        select(LeadExclusion.partner_id).where(LeadExclusion.lead_id == lead_id)
    )
    return frozenset(rows.all())


async def decide(uow: UnitOfWork, lead: Lead) -> list[Decision]:
    """Rank every partner for ``lead`` with the current state of the directory."""
    return rank(
        await lead_profile(uow, lead),
        await partner_profiles(uow),
        await excluded_partners(uow, lead.id),
        uow.settings,
    )


async def _offered_this_round(uow: UnitOfWork, lead: Lead) -> set[str]:
    rows = await uow.session.scalars(
        select(Offer.partner_id).where(Offer.lead_id == lead.id, Offer.round == lead.offer_round)
    )
    return set(rows.all())


async def start_round(uow: UnitOfWork, lead: Lead, actor: Actor) -> RoundOutcome:
    """Send ``lead`` to matching: offer the first wave, or mark it unmatched."""
    decisions = await decide(uow, lead)
    eligible = [d for d in decisions if d.eligible]
    if not eligible:
        change_status(uow, lead, LeadStatus.UNMATCHED, actor, partners_checked=len(decisions))
        await uow.outbox.staff("unmatched", lead_id=lead.id, partners_checked=len(decisions))
        return RoundOutcome(LeadStatus.UNMATCHED, ())
    lead.offer_round += 1
    lead.current_wave = 0
    lead.offered_at = uow.clock.now()
    change_status(uow, lead, LeadStatus.OFFERED, actor, round=lead.offer_round)
    sizes = [w.size for w in uow.settings.distribution.waves]
    first = plan_waves([d.partner_id for d in eligible], sizes)[0]
    await _open_wave(uow, lead, 1, [d for d in eligible if d.partner_id in set(first)], actor)
    return RoundOutcome(LeadStatus.OFFERED, tuple(first))


async def _open_wave(
    uow: UnitOfWork, lead: Lead, wave: int, decisions: list[Decision], actor: Actor
) -> None:
    waves = uow.settings.distribution.waves
    now = uow.clock.now()
    expires_at = now + timedelta(minutes=waves[wave - 1].minutes)
    lead.current_wave = wave
    known = frozenset(p.id for p in uow.settings.products) or None
    facts = teaser_facts(lead, known).to_json()
    already = await uow.session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.lead_id == lead.id, Offer.round == lead.offer_round)
    )
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
    await uow.session.flush()
    for offer in offers:
        await uow.outbox.enqueue(
            ToPartner(offer.partner_id),
            NoticeKind.TEASER,
            {
                "offer_id": offer.id,
                "wave": wave,
                "expires_at": expires_at.isoformat(),
                "facts": facts,
            },
            lead_id=lead.id,
        )
    uow.session.add(
        Timer(
            kind=TimerKind.WAVE_EXPIRY,
            lead_id=lead.id,
            due_at=expires_at,
            payload={"round": lead.offer_round, "wave": wave},
            created_at=now,
        )
    )
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
        "offered",
        lead_id=lead.id,
        wave=wave,
        waves=len(waves),
        partners=len(decisions),
        minutes=waves[wave - 1].minutes,
    )


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
        fresh = [d for d in await decide(uow, lead) if d.eligible and d.partner_id not in offered]
        size = waves[wave].size
        chosen = fresh if size == 0 else fresh[:size]
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
