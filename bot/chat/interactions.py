"""What a person can do from any chat — the one path shared by console, Slack and Telegram.

Handlers translate platform input into these calls and render the returned data; they
hold no business rules. Every function here answers with data (a :class:`Reply` with an
i18n key, or views), never with platform markup, and never raises for a refused request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.actors import Actor
from bot.content.anonymize import teaser_facts
from bot.delivery.notices import LeadCardView, MessageRef, TeaserView
from bot.delivery.resolve import lead_details
from bot.errors import NotAllowed, NotFound, ServiceError
from bot.explain.service import explain_stored_lead
from bot.explain.text import render_partner, render_summary
from bot.handlers import registry
from bot.leads import staff as staff_services
from bot.leads.claims import ClaimOutcome, claim
from bot.leads.lifecycle import OWNED, IllegalTransition
from bot.leads.progress import Report, StatusAction, available_actions, report_progress
from bot.models import (
    Channel,
    ChatMessage,
    Lead,
    LeadPersonalData,
    LeadStatus,
    MessageKind,
    Offer,
    OfferStatus,
    Platform,
    Rep,
)
from bot.runtime import Runtime

CONSENT_WORDS = frozenset({"consent", "einwilligung"})
"""What staff type after ``release <lead>`` to confirm consent, on every platform."""


def confirms_consent(words: list[str] | tuple[str, ...]) -> bool:
    """``release 12 consent`` / ``release 12 Einwilligung``: the first word after the id."""
    return bool(words) and words[0].lower() in CONSENT_WORDS


@dataclass(frozen=True)
class Identity:
    """Who is talking to the bot on a platform: a rep, staff, both, or nobody we know."""

    platform: Platform
    user_id: str
    rep_id: int | None = None
    partner_id: str | None = None
    name: str | None = None
    language: str = "de"
    is_staff: bool = False

    @property
    def known(self) -> bool:
        return self.rep_id is not None or self.is_staff

    def actor(self) -> Actor:
        channel = Channel(self.platform.value)
        if self.rep_id is not None and self.partner_id is not None:
            return Actor.rep(channel, self.rep_id, self.partner_id, self.name)
        return Actor.staff(channel, self.user_id, self.name)


@dataclass(frozen=True)
class Reply:
    """A short answer to the person who asked: an i18n key with its parameters."""

    key: str
    ok: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    lead_id: int | None = None


@dataclass(frozen=True)
class LeadSummary:
    id: int
    status: LeadStatus
    company: str | None  # None when the asker may not see it
    region: str | None
    products: tuple[str, ...]
    follow_up_on: Any = None
    partner_id: str | None = None


def rep_identity(platform: Platform, user_id: str, rep: Rep, is_staff: bool = False) -> Identity:
    return Identity(
        platform=platform,
        user_id=user_id,
        rep_id=rep.id,
        partner_id=rep.partner_id,
        name=rep.name,
        language=rep.language if rep.language in ("de", "en") else "de",
        is_staff=is_staff,
    )


async def identify(runtime: Runtime, platform: Platform, user_id: str) -> Identity:
    """Look up a platform user: a linked rep (active) and/or a configured staff member."""
    chat = registry.get(platform)
    settings = runtime.settings
    is_staff = chat.is_staff(user_id, settings)
    condition = chat.user(user_id)
    rep = None
    if condition is not None:
        async with runtime.uow() as uow:
            rep = await uow.session.scalar(select(Rep).where(condition))
    if rep is not None and rep.active:
        return rep_identity(platform, user_id, rep, is_staff)
    return Identity(platform, user_id, language=settings.staff.language, is_staff=is_staff)


class Interactions:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # --- reps ----------------------------------------------------------------------

    async def claim(self, who: Identity, offer_id: int) -> Reply:
        if who.rep_id is None:
            return Reply("claim.unknown_user", ok=False)
        async with self.runtime.uow() as uow:
            result = await claim(uow, offer_id, who.rep_id, who.platform)
        ok = result.outcome in (ClaimOutcome.WON, ClaimOutcome.ALREADY_YOURS)
        return Reply(
            f"claim.{result.outcome.value}",
            ok=ok,
            params={"lead_id": result.lead_id},
            lead_id=result.lead_id,
        )

    async def report(self, who: Identity, lead_id: int, report: Report) -> Reply:
        if not who.known:
            return Reply("reply.unknown_user", ok=False)
        try:
            async with self.runtime.uow() as uow:
                lead = await report_progress(uow, lead_id, who.actor(), report, who.platform)
        except NotFound:
            return Reply("reply.not_found", ok=False, params={"lead_id": lead_id}, lead_id=lead_id)
        except (ServiceError, IllegalTransition) as exc:
            return Reply("reply.error", ok=False, params={"message": str(exc)}, lead_id=lead_id)
        if report.action is StatusAction.FOLLOW_UP:
            return Reply(
                "reply.follow_up_ok",
                params={"lead_id": lead_id, "date": report.follow_up_on},
                lead_id=lead_id,
            )
        if report.action is StatusAction.HAND_BACK:
            return Reply("reply.handed_back", params={"lead_id": lead_id}, lead_id=lead_id)
        return Reply(
            "reply.status_ok",
            params={"lead_id": lead_id, "status": lead.status.value},
            lead_id=lead_id,
        )

    async def my_leads(self, who: Identity) -> list[LeadSummary]:
        """A rep's partner's open leads; for staff, every lead that is not closed."""
        query = (
            select(Lead, LeadPersonalData.company_name)
            .outerjoin(LeadPersonalData, LeadPersonalData.lead_id == Lead.id)
            .order_by(Lead.id)
        )
        if who.rep_id is not None and not who.is_staff:
            query = query.where(Lead.owner_partner_id == who.partner_id, Lead.status.in_(OWNED))
        elif who.is_staff:
            query = query.where(
                Lead.status.not_in((LeadStatus.WON, LeadStatus.LOST, LeadStatus.ERASED))
            )
        else:
            return []
        async with self.runtime.uow() as uow:
            rows = (await uow.session.execute(query)).all()
        return [
            LeadSummary(
                id=lead.id,
                status=lead.status,
                company=company,
                region=lead.region or lead.country,
                products=tuple(lead.products),
                follow_up_on=lead.follow_up_on,
                partner_id=lead.owner_partner_id,
            )
            for lead, company in rows
        ]

    async def lead_card(self, who: Identity, lead_id: int) -> LeadCardView | Reply:
        """The full card for the owning partner's reps and for staff."""
        async with self.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
            if lead is None:
                return Reply("reply.not_found", ok=False, params={"lead_id": lead_id})
            owner = who.partner_id is not None and lead.owner_partner_id == who.partner_id
            if not (owner or who.is_staff):
                return Reply("reply.not_yours", ok=False, params={"lead_id": lead_id})
            details = await lead_details(uow.session, lead)
            actions = available_actions(lead.status) if owner else ()
            return LeadCardView(
                lead_id=lead.id,
                status=lead.status,
                event="view",
                lead=details,
                actions=tuple(a.value for a in actions),
                language=who.language,
            )

    async def card_shown(self, who: Identity, lead_id: int, ref: MessageRef) -> None:
        """A rep asked for their lead's card and the platform shows it at ``ref``: from now
        on that message is the card the outbox edits when the lead changes (one live card
        per rep and lead, the newest). Only owners' cards are tracked."""
        if who.rep_id is None:
            return
        async with self.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
            if lead is None or lead.owner_rep_id != who.rep_id:
                return
            uow.session.add(
                ChatMessage(
                    platform=who.platform.value,
                    chat_id=ref.chat_id,
                    message_id=ref.message_id,
                    kind=MessageKind.LEAD_CARD,
                    lead_id=lead_id,
                    rep_id=who.rep_id,
                    created_at=uow.clock.now(),
                )
            )
            await uow.commit()

    async def open_teasers(self, who: Identity) -> list[TeaserView]:
        """Offers still open for the rep's partner (what their channel shows as claimable)."""
        if who.partner_id is None:
            return []
        known = frozenset(p.id for p in self.runtime.settings.products) or None
        async with self.runtime.uow() as uow:
            rows = (
                await uow.session.execute(
                    select(Offer, Lead)
                    .join(Lead, Lead.id == Offer.lead_id)
                    .where(Offer.partner_id == who.partner_id, Offer.status == OfferStatus.OPEN)
                    .order_by(Offer.id)
                )
            ).all()
        return [
            TeaserView(
                offer_id=offer.id,
                lead_id=lead.id,
                facts=teaser_facts(lead, known),
                wave=offer.wave,
                expires_at=None,
                language=who.language,
            )
            for offer, lead in rows
        ]

    # --- staff ---------------------------------------------------------------------

    async def staff_action(self, who: Identity, action: str, lead_id: int, **options: Any) -> Reply:
        """release / reoffer / recall / erase, for staff only."""
        if not who.is_staff:
            return Reply("reply.staff_only", ok=False)
        actor = who.actor()
        try:
            async with self.runtime.uow() as uow:
                if action == "release":
                    outcome = await staff_services.release(
                        uow, lead_id, actor, consent=bool(options.get("consent"))
                    )
                    status = outcome.status.value
                elif action == "reoffer":
                    status = (await staff_services.reoffer(uow, lead_id, actor)).status.value
                elif action == "recall":
                    status = (await staff_services.staff_recall(uow, lead_id, actor)).status.value
                elif action == "erase":
                    await staff_services.erase(uow, lead_id, actor)
                    return Reply("reply.erased", params={"lead_id": lead_id}, lead_id=lead_id)
                else:
                    raise NotAllowed(f"unknown staff action {action!r}")
        except NotFound:
            return Reply("reply.not_found", ok=False, params={"lead_id": lead_id})
        except (ServiceError, IllegalTransition) as exc:
            return Reply("reply.error", ok=False, params={"message": str(exc)}, lead_id=lead_id)
        key = {
            "release": "reply.released",
            "reoffer": "reply.reoffered",
            "recall": "reply.recalled",
        }[action]
        return Reply(key, params={"lead_id": lead_id, "status": status}, lead_id=lead_id)

    async def explanation(
        self, who: Identity, lead_id: int, partner_id: str | None = None, *, limit: int = 20
    ) -> list[str] | Reply:
        """Why each partner was or was not offered ``lead_id``, as plain-text lines (staff).

        The lines are unescaped plain text (monospace columns); each platform escapes and
        wraps them (console as is, Slack and Telegram in a code block).
        """
        if not who.is_staff:
            return Reply("reply.staff_only", ok=False)
        try:
            async with self.runtime.uow() as uow:
                data = await explain_stored_lead(uow, lead_id, partner_id)
        except NotFound as exc:
            return Reply("reply.error", ok=False, params={"message": str(exc)}, lead_id=lead_id)
        if partner_id is not None:
            item = data.explanation.partner(partner_id)
            assert item is not None  # explain_stored_lead raised NotFound otherwise
            return render_partner(data, item)
        return render_summary(data, limit)
