"""“Not for us”: a partner declines an offer, with a reason.

The partner is excluded from the lead for good (it is never offered the lead again), its
teaser turns into "declined by <rep>", the decline is an audit event and a staff-feed line
with the reason, and it counts in the partner statistics (``lead_exclusions`` with reason
``declined``). When nobody is left who could still claim the lead in this round — every
partner offered so far has declined — the next wave starts at once instead of waiting out
the timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from bot.actors import Actor
from bot.delivery.notices import NoticeKind, ToPartner
from bot.directory.availability import is_paused, local_today
from bot.errors import InvalidInput, check_note
from bot.leads.distribution import cancel_timers, expire_wave
from bot.leads.events import record
from bot.leads.locks import lead_for_update
from bot.models import (
    Channel,
    Lead,
    LeadExclusion,
    LeadStatus,
    Offer,
    OfferStatus,
    Partner,
    Platform,
    Rep,
    TimerKind,
)
from bot.uow import UnitOfWork

DECLINE_REASONS: tuple[str, ...] = (
    "too_far",
    "no_capacity",
    "not_our_segment",
    "product_not_offered",
    "other",
)
NOTE_MAX = 500


class DeclineOutcome(StrEnum):
    DECLINED = "declined"
    ALREADY = "already"  # this partner declined the offer before
    CLOSED = "closed"  # taken, expired or withdrawn meanwhile
    NOT_OFFERED = "not_offered"  # another partner's offer
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DeclineResult:
    outcome: DeclineOutcome
    offer_id: int
    lead_id: int | None = None


def validate_decline(reason: str, note: str | None) -> None:
    """The reason must be one of :data:`DECLINE_REASONS`; "other" needs a few words."""
    allowed = ", ".join(DECLINE_REASONS)
    if reason not in DECLINE_REASONS:
        raise InvalidInput(
            f"reason must be one of {allowed}",
            key="decline.unknown_reason",
            field="reason",
            allowed=allowed,
        )
    if reason == "other" and not (note or "").strip():
        raise InvalidInput(
            "reason 'other' needs a short note saying why", key="decline.note_needed", field="note"
        )
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(
            f"note: at most {NOTE_MAX} characters",
            key="decline.note_long",
            field="note",
            max=NOTE_MAX,
        )
    check_note(note)


async def decline(
    uow: UnitOfWork, offer_id: int, rep_id: int, reason: str, note: str | None, via: Platform
) -> DeclineResult:
    """Decline ``offer_id`` for the rep's partner; commits when it was declined.

    Raises :class:`InvalidInput` (changing nothing) for an unknown reason or a missing note.
    """
    validate_decline(reason, note)
    session = uow.session
    offer = await session.get(Offer, offer_id)
    rep = await session.get(Rep, rep_id)
    refused = _refused(offer_id, offer, rep)
    if refused is not None:
        return refused
    assert offer is not None and rep is not None  # _refused said so
    lead = await lead_for_update(session, offer.lead_id)
    if lead is None or _closed(offer, lead):
        return DeclineResult(DeclineOutcome.CLOSED, offer_id, offer.lead_id)
    partner = await session.get(Partner, offer.partner_id)
    assert partner is not None
    now = uow.clock.now()
    offer.status = OfferStatus.DECLINED
    offer.closed_at = now
    if await session.get(LeadExclusion, (lead.id, partner.id)) is None:
        session.add(
            LeadExclusion(lead_id=lead.id, partner_id=partner.id, reason="declined", at=now)
        )
    actor = Actor.rep(Channel(via.value), rep.id, partner.id, rep.name)
    record(uow, lead, actor, "declined", offer_id=offer.id, reason=reason, note=note)
    await uow.outbox.enqueue(
        ToPartner(partner.id),
        NoticeKind.TEASER_CLOSED,
        {"offer_id": offer.id, "reason": "declined", "rep_id": rep.id},
        lead_id=lead.id,
    )
    await uow.outbox.staff(
        "declined", lead_id=lead.id, partner=partner.name, reason=reason, note=note
    )
    await _next_wave_if_nobody_is_left(uow, lead)
    await uow.commit()
    return DeclineResult(DeclineOutcome.DECLINED, offer_id, lead.id)


def _refused(offer_id: int, offer: Offer | None, rep: Rep | None) -> DeclineResult | None:
    """Why ``rep`` cannot decline ``offer`` whatever its lead's state (None: it is theirs)."""
    if offer is None:
        return DeclineResult(DeclineOutcome.NOT_FOUND, offer_id)
    if rep is None or rep.partner_id != offer.partner_id:
        return DeclineResult(DeclineOutcome.NOT_OFFERED, offer_id, offer.lead_id)
    if offer.status is OfferStatus.DECLINED:
        return DeclineResult(DeclineOutcome.ALREADY, offer_id, offer.lead_id)
    return None


def _closed(offer: Offer, lead: Lead) -> bool:
    """Taken, expired or withdrawn meanwhile."""
    return offer.status is not OfferStatus.OPEN or lead.status is not LeadStatus.OFFERED


async def decline_refused(uow: UnitOfWork, offer_id: int, rep_id: int) -> DeclineResult | None:
    """Why the rep cannot decline ``offer_id`` now (taken, expired, not theirs …), read
    without a lock and changing nothing: a chat asks before it opens the dialog for the
    reason, as it does before Won or Lost. :func:`decline` checks again when it decides."""
    offer = await uow.session.get(Offer, offer_id)
    refused = _refused(offer_id, offer, await uow.session.get(Rep, rep_id))
    if refused is not None or offer is None:
        return refused
    lead = await uow.session.get(Lead, offer.lead_id)
    if lead is None or _closed(offer, lead):
        return DeclineResult(DeclineOutcome.CLOSED, offer_id, offer.lead_id)
    return None


async def _open_offers(uow: UnitOfWork, lead: Lead) -> int:
    """Open offers someone can still claim: a partner deactivated or paused since its
    offer was made cannot (its offer stays open for when it is back, but the lead does not
    wait for it)."""
    today = local_today(uow)
    partners = await uow.session.execute(
        select(Partner.active, Partner.paused_at, Partner.on_leave_until)
        .join(Offer, Offer.partner_id == Partner.id)
        .where(Offer.lead_id == lead.id, Offer.status == OfferStatus.OPEN)
    )
    return sum(1 for p in partners if p.active and not is_paused(p, today))


async def _next_wave_if_nobody_is_left(uow: UnitOfWork, lead: Lead) -> None:
    """Everyone offered so far declined: open the next wave now (or give up, ``unclaimed``).

    A wave that finds nobody new is passed at once too, so the lead never waits for a
    timer while no partner can claim it.
    """
    await uow.session.flush()
    while lead.status is LeadStatus.OFFERED and await _open_offers(uow, lead) == 0:
        await cancel_timers(uow, lead.id, TimerKind.WAVE_EXPIRY)
        outcome = await expire_wave(uow, lead, lead.offer_round, lead.current_wave)
        await uow.session.flush()
        if outcome != "next_wave":
            return
