"""Why a stored lead went (or would go) to which partner — for staff, CLI and chat.

Loads the lead, the partner directory and the lead's exclusions exactly as
:func:`bot.directory.lead_ranking.decide` does, so the explanation agrees with what the next
matching run would do. It adds what happened so far: the offers each partner received.
Read-only: nothing is written, so it is safe to call at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.delivery.notices import ToPartner
from bot.directory.lead_ranking import excluded_partners, lead_profile
from bot.directory.recent import recent_activity
from bot.directory.snapshot import partner_profiles
from bot.errors import NotFound
from bot.matching import LeadExplanation, explain_lead
from bot.models import Lead, LeadStatus, Offer, OfferStatus, Partner
from bot.plaintext import quoted, shortened
from bot.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class OfferFacts:
    round: int
    wave: int
    rank: int
    status: OfferStatus


@dataclass(frozen=True, slots=True)
class PartnerReach:
    """Where one partner's teasers go: matching reads the directory, not the channels, so
    a partner no channel reaches is offered leads that nobody there sees. ``channels`` are
    those this process delivers to (platform -> address); ``email_stopped_at`` is set
    while its lead inbox has unsubscribed from teaser mails."""

    channels: dict[str, str]
    email_stopped_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredLeadExplanation:
    status: LeadStatus
    owner_partner_id: str | None
    offer_round: int
    current_wave: int
    exclusions: dict[str, str]  # partner id -> reason
    offers: dict[str, tuple[OfferFacts, ...]]  # partner id -> offers, oldest first
    explanation: LeadExplanation
    reach: PartnerReach | None = None  # with ``partner_id`` only


async def explain_stored_lead(
    uow: UnitOfWork, lead_id: int, partner_id: str | None = None
) -> StoredLeadExplanation:
    """Explain matching for ``lead_id`` against the directory as it is now.

    ``partner_id`` limits the per-partner detail to one partner ("why didn't I get this
    lead?"); ranks still reflect the whole directory. Raises :class:`NotFound`.
    """
    lead = await uow.session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist", key="reply.not_found", lead_id=lead_id)
    partners = await partner_profiles(uow)
    if partner_id is not None and all(p.id != partner_id for p in partners):
        raise NotFound(
            f"partner {quoted(partner_id)} does not exist",
            key="reply.partner_not_found",
            partner=shortened(partner_id),
        )
    excluded = await excluded_partners(uow, lead_id)
    explanation = explain_lead(
        await lead_profile(uow, lead),
        partners,
        excluded,
        uow.settings,
        only=None if partner_id is None else {partner_id},
        recent=await recent_activity(uow) if uow.settings.matching.fairness > 0 else {},
    )
    # Columns, not ORM objects: a lead offered to 1,000 partners has 1,000 offers, and
    # building (and tracking) an Offer object for each cost more than reading them.
    rows = (
        await uow.session.execute(
            select(Offer.partner_id, Offer.round, Offer.wave, Offer.rank, Offer.status)
            .where(Offer.lead_id == lead_id)
            .order_by(Offer.round, Offer.wave, Offer.id)
        )
    ).all()
    offers: dict[str, list[OfferFacts]] = {}
    for offer in rows:
        offers.setdefault(offer.partner_id, []).append(
            OfferFacts(offer.round, offer.wave, offer.rank, offer.status)
        )
    return StoredLeadExplanation(
        status=lead.status,
        owner_partner_id=lead.owner_partner_id,
        offer_round=lead.offer_round,
        current_wave=lead.current_wave,
        exclusions=excluded,
        offers={pid: tuple(items) for pid, items in offers.items()},
        explanation=explanation,
        reach=None if partner_id is None else await _reach(uow, partner_id),
    )


async def _reach(uow: UnitOfWork, partner_id: str) -> PartnerReach:
    addresses = await uow.outbox.addresses(ToPartner(partner_id))
    partner = await uow.session.get(Partner, partner_id)
    assert partner is not None  # explain_stored_lead raised NotFound otherwise
    return PartnerReach(
        channels={platform.value: address for platform, address in addresses.items()},
        email_stopped_at=partner.email_teasers_stopped_at if partner.email else None,
    )
