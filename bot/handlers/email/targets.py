"""What a verified link points at, checked against the database before anything is shown.

A signature proves leadbot made the link; it does not prove the link still makes sense.
Here a claim link's offer must belong to the partner the teaser was mailed to, a status
link's rep must be active and belong to the partner that owns the lead, the action must
still be one the card allows, and the link must not have been used. Every refusal is a
:class:`Refusal`: an i18n key, its parameters, the HTTP status and the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.anonymize import teaser_facts
from bot.delivery.notices import TeaserFacts
from bot.directory.availability import is_paused, local_date
from bot.handlers.email import nonces
from bot.handlers.email.links import Link, Purpose
from bot.leads.status_reports import StatusAction, available_actions
from bot.models import Lead, Offer, OfferStatus, Partner, Rep
from bot.runtime import Runtime

_CLOSED_OFFER = {
    OfferStatus.TAKEN: "claim.taken",
    OfferStatus.CLOSED: "claim.closed",
    OfferStatus.DECLINED: "decline.already",
}


class Refusal(Exception):
    """The link cannot be used; ``key`` says why, in the reader's ``language``."""

    def __init__(
        self, key: str, status: int, language: str, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.language = language
        self.params = params or {}


@dataclass(frozen=True)
class ClaimTarget:
    """A teaser's Claim or "Not for us" link: the open offer and the partner's active reps
    to choose from (who claims, or who declines)."""

    link: Link
    offer_id: int
    lead_id: int
    partner_name: str
    language: str
    facts: TeaserFacts
    reps: tuple[Rep, ...] = field(default_factory=tuple)

    def rep(self, rep_id: str) -> Rep | None:
        return next((r for r in self.reps if str(r.id) == rep_id.strip()), None)


@dataclass(frozen=True)
class StatusTarget:
    """A lead card's status link: the rep it was mailed to and the action it stands for."""

    link: Link
    lead_id: int
    rep: Rep
    action: StatusAction
    language: str


Target = ClaimTarget | StatusTarget


def _language(value: str | None) -> str:
    return value if value in ("de", "en") else "de"


async def load(runtime: Runtime, link: Link) -> Target:
    """The target of a verified, unexpired link; raises :class:`Refusal`."""
    if link.purpose in (Purpose.CLAIM, Purpose.DECLINE):
        return await _claim(runtime, link)
    return await _status(runtime, link)


async def _claim(runtime: Runtime, link: Link) -> ClaimTarget:
    async with runtime.uow() as uow:
        offer = await uow.session.get(Offer, link.target)
        partner = await uow.session.get(Partner, link.party)
        language = partner.language if partner is not None else "de"
        if offer is None or partner is None:
            raise Refusal("email.page.gone", 404, language)
        if offer.partner_id != partner.id:
            raise Refusal("email.page.not_yours", 403, language)
        if await nonces.is_used(uow.session, link):
            raise Refusal("email.page.used", 410, language)
        lead = await uow.session.get(Lead, offer.lead_id)
        if lead is None:
            raise Refusal("email.page.gone", 404, language)
        params = {"lead_id": lead.id}
        if offer.status is OfferStatus.WON:
            raise await _won(uow.session, lead, partner, language)
        if offer.status is not OfferStatus.OPEN:
            raise Refusal(_CLOSED_OFFER[offer.status], 409, language, params)
        today = local_date(runtime.settings, runtime.clock.now())
        if not partner.active:
            raise Refusal("claim.inactive", 409, language, params)
        if is_paused(partner, today):
            raise Refusal("claim.paused", 409, language, params)
        reps = (
            await uow.session.scalars(
                select(Rep)
                .where(Rep.partner_id == partner.id, Rep.active.is_(True))
                .order_by(Rep.name, Rep.id)
            )
        ).all()
        if not reps:
            raise Refusal("email.page.no_reps", 409, language, params)
        known = frozenset(p.id for p in runtime.settings.products) or None
        return ClaimTarget(
            link=link,
            offer_id=offer.id,
            lead_id=lead.id,
            partner_name=partner.name,
            language=language,
            facts=teaser_facts(lead, known),
            reps=tuple(reps),
        )


async def _won(session: AsyncSession, lead: Lead, partner: Partner, language: str) -> Refusal:
    """The refusal of a claim link whose offer the partner won. The inbox is shared, so
    "it is yours already" says nothing to whoever opened it: the page names the rep who
    has the lead — or, when the lead went back to matching since (handed back, recalled),
    says it is no longer available."""
    params: dict[str, Any] = {"lead_id": lead.id}
    owner = await session.get(Rep, lead.owner_rep_id) if lead.owner_rep_id else None
    if lead.owner_partner_id != partner.id or owner is None:
        return Refusal("claim.closed", 409, language, params)
    return Refusal("claim.colleague", 409, language, {**params, "colleague": owner.name})


async def _status(runtime: Runtime, link: Link) -> StatusTarget:
    async with runtime.uow() as uow:
        rep = await uow.session.get(Rep, int(link.party)) if link.party.isdigit() else None
        language = _language(rep.language if rep is not None else None)
        lead = await uow.session.get(Lead, link.target)
        if rep is None or lead is None:
            raise Refusal("email.page.gone", 404, language)
        if lead.owner_partner_id is not None and lead.owner_partner_id != rep.partner_id:
            raise Refusal("email.page.not_yours", 403, language)
        if await nonces.is_used(uow.session, link):
            raise Refusal("email.page.used", 410, language)
        state = {"lead_id": lead.id, "status": lead.status.value}
        if lead.owner_partner_id is None:  # handed back, recalled, offered again, erased
            raise Refusal("email.page.not_now", 409, language, state)
        if not rep.active:
            raise Refusal("email.page.inactive", 403, language)
        try:
            action = StatusAction(link.action or "")
        except ValueError:
            raise Refusal("email.page.malformed", 400, language) from None
        if action not in available_actions(lead.status):
            raise Refusal("email.page.not_now", 409, language, state)
        return StatusTarget(link, lead.id, rep, action, language)
