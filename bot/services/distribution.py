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
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.content.anonymize import teaser_facts
from bot.geo import locate, normalise_postal_code
from bot.lifecycle import OWNED
from bot.matching import Decision, LeadProfile, PartnerProfile, Ranking, next_wave, rank
from bot.matching.index import PartnerIndex, index_for
from bot.matching.rules import rules_for
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
    """The lead as matching sees it. Region and position are re-derived from the postal
    code when missing (leads stored before the geography data, or without coordinates)."""
    personal = await uow.session.get(LeadPersonalData, lead.id)
    postal_code = normalise_postal_code(lead.country, personal.postal_code if personal else None)
    lat = personal.lat if personal else None
    lon = personal.lon if personal else None
    region = lead.region
    if postal_code and (region is None or lat is None or lon is None):
        place = locate(lead.country, postal_code)
        region = region or place.region
        if lat is None or lon is None:
            lat, lon = place.lat, place.lon
    return LeadProfile(
        lead_id=lead.id,
        country=lead.country,
        region=region,
        postal_code=postal_code,
        lat=lat,
        lon=lon,
        products=tuple(lead.products),
        employees=lead.employees,
        industry=lead.industry,
        consent_partner_contact=lead.consent_partner_contact,
        allowed_partners=frozenset(lead.consent_allowed_partners),
        allowed_tiers=frozenset(lead.consent_allowed_tiers),
        postal_area=lead.postal_area,
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


_PROFILE_COLUMNS = (
    Partner.id,
    Partner.name,
    Partner.tier,
    Partner.certifications,
    Partner.country,
    Partner.postal_code,
    Partner.lat,
    Partner.lon,
    Partner.service_radius_km,
    Partner.regions,
    Partner.segments,
    Partner.products,
    Partner.max_open_leads,
    Partner.active,
    Partner.on_leave_until,
    Partner.paused_at,
    Partner.pause_reason,
)


@dataclass(frozen=True)
class _StaticPartner:
    """What matching needs of a partner that changes only when the directory changes."""

    row: Any
    lat: float | None
    lon: float | None


DIRECTORY_CACHE = "matching.directory"


@event.listens_for(Session, "before_flush")
def _forget_directory_on_change(session: Session, _context: Any, _instances: Any) -> None:
    """A partner written in this process invalidates the snapshot at once.

    Other processes notice through the (count, latest ``updated_at``) key.
    """
    cache = session.info.get("cache")
    if cache is None or DIRECTORY_CACHE not in cache:
        return
    if any(isinstance(o, Partner) for o in (*session.new, *session.dirty, *session.deleted)):
        cache.pop(DIRECTORY_CACHE, None)
        cache.pop(INDEX_CACHE, None)


async def _static_partners(uow: UnitOfWork) -> tuple[Any, list[_StaticPartner]]:
    """The directory rows, cached per process until a partner is added or changed.

    Reading and decoding every partner (JSON columns, postal-code placement) dominates
    the cost of matching one lead; the directory changes rarely, so it is read again only
    when the number of partners or their latest ``updated_at`` differs.
    """
    count, latest = (
        await uow.session.execute(select(func.count(Partner.id), func.max(Partner.updated_at)))
    ).one()
    key = (count, latest)
    cached = uow.cache.get(DIRECTORY_CACHE)
    if cached is not None and cached[0] == key:
        return key, cached[1]
    rows = await uow.session.execute(select(*_PROFILE_COLUMNS).order_by(Partner.id))
    static = []
    for p in rows.all():
        lat, lon = p.lat, p.lon
        if (lat is None or lon is None) and p.postal_code:
            place = locate(p.country, p.postal_code)
            lat, lon = place.lat, place.lon
        static.append(_StaticPartner(p, lat, lon))
    uow.cache[DIRECTORY_CACHE] = (key, static)
    return key, static


async def partner_profiles(uow: UnitOfWork) -> list[PartnerProfile]:
    """Every partner as matching sees it now: load, leave, pause, outcomes."""
    return (await _directory_state(uow))[1]


async def _directory_state(uow: UnitOfWork) -> tuple[Any, list[PartnerProfile]]:
    """The partner profiles and a key that changes whenever any of them would.

    The static part comes from a per-process snapshot (see :func:`_static_partners`);
    open leads and outcomes are counted fresh for every call. A partner without
    coordinates is placed at its postal code's centroid (offline).
    """
    today = uow.clock.now().date()
    open_counts = await open_lead_counts(uow)
    outcomes = await outcome_counts(uow)
    directory_key, static = await _static_partners(uow)
    key = (directory_key, today, frozenset(open_counts.items()), frozenset(outcomes.items()))
    profiles = []
    for item in static:
        p = item.row
        on_leave = p.on_leave_until is not None and p.on_leave_until >= today
        won, closed = outcomes.get(p.id, (0, 0))
        profiles.append(
            PartnerProfile(
                id=p.id,
                name=p.name,
                tier=p.tier,
                certifications=dict(p.certifications or {}),
                country=p.country,
                postal_code=p.postal_code,
                lat=item.lat,
                lon=item.lon,
                service_radius_km=p.service_radius_km,
                regions=tuple(p.regions or ()),
                segments=tuple(p.segments or ()),
                products=tuple(p.products or ()),
                max_open_leads=p.max_open_leads,
                open_leads=open_counts.get(p.id, 0),
                active=p.active,
                on_leave=on_leave,
                paused=p.paused_at is not None,
                won=won,
                closed=closed,
                on_leave_until=p.on_leave_until if on_leave else None,
                pause_reason=p.pause_reason if p.paused_at is not None else None,
            )
        )
    return key, profiles


INDEX_CACHE = "matching.index"


async def partner_index(uow: UnitOfWork) -> PartnerIndex:
    """The matching index of the directory as it is now, reused while nothing changed.

    Between two claims or closes (e.g. during a bulk import) every lead is ranked against
    the same index instead of rebuilding it per lead.
    """
    today = uow.clock.now().date()
    open_counts = await open_lead_counts(uow)
    outcomes = await outcome_counts(uow)
    directory_key, _static = await _static_partners(uow)
    key = (directory_key, today, frozenset(open_counts.items()), frozenset(outcomes.items()))
    rules = rules_for(uow.settings)
    cached = uow.cache.get(INDEX_CACHE)
    if cached is not None and cached[0] == key and cached[1].rules is rules:
        return cached[1]  # type: ignore[no-any-return]
    _key, profiles = await _directory_state(uow)
    index = index_for(profiles, rules)
    uow.cache[INDEX_CACHE] = (key, index)
    return index


async def excluded_partners(uow: UnitOfWork, lead_id: int) -> dict[str, str]:
    """Partners that must not get ``lead_id`` again, with the reason (returned, ...)."""
    rows = await uow.session.execute(
        select(LeadExclusion.partner_id, LeadExclusion.reason).where(
            LeadExclusion.lead_id == lead_id
        )
    )
    return {pid: reason for pid, reason in rows.all()}


async def decide(uow: UnitOfWork, lead: Lead) -> Ranking:
    """Rank every partner for ``lead`` with the current state of the directory.

    The ranking holds the eligible partners only, best first; ``ranking.checked`` is how
    many partners were considered. ``bot.services.explanations`` says why for the rest.
    """
    return rank(
        await lead_profile(uow, lead),
        await partner_index(uow),
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
    ranking = await decide(uow, lead)
    if not ranking:
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
