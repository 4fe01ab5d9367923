"""What a person can do from any chat — the one path shared by every platform.

:meth:`Interactions.execute` runs a typed command (:mod:`bot.chat.commands`) for an
identity: it checks the permission rules (:mod:`bot.chat.permissions`), calls the core and
answers with data (:mod:`bot.chat.results`), never with platform markup, and never raises
for a refused request. Handlers parse platform input into commands and render the
results; they hold no business rules.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.chat import commands as c
from bot.chat import management
from bot.chat.identity import Identity
from bot.chat.management import failure
from bot.chat.permissions import refusal, verbs_for
from bot.chat.results import (
    HelpView,
    LeadList,
    LeadSummary,
    Profile,
    Reply,
    Result,
    TeaserList,
)
from bot.content.anonymize import teaser_facts
from bot.delivery.notices import LeadCardView, MessageRef, TeaserView
from bot.delivery.resolve import lead_details
from bot.directory.availability import is_paused, local_today
from bot.errors import ServiceError
from bot.leads.claims import ClaimOutcome, claim
from bot.leads.declines import DeclineOutcome, decline, decline_refused
from bot.leads.lifecycle import OWNED, IllegalTransition
from bot.leads.progress import report_progress
from bot.leads.status_reports import Report, StatusAction, available_actions
from bot.leads.takeover import take_over
from bot.models import (
    ChatMessage,
    Lead,
    LeadPersonalData,
    LeadStatus,
    MessageKind,
    Offer,
    OfferStatus,
    Partner,
    Rep,
)
from bot.reports.pipeline import pipeline
from bot.runtime import Runtime


class Interactions:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def execute(self, who: Identity, command: c.Command) -> Result:
        """Run ``command`` for ``who``: the one entry for typed lines, buttons and links."""
        refused = refusal(who, command)
        if refused is not None:
            return refused
        match command:
            case c.Help():
                return HelpView(verbs_for(who), staff=who.is_staff, rep=who.is_rep)
            case c.WhoAmI():
                return Profile(who.name, who.user_id, who.partner_id, who.is_staff, who.is_manager)
            case c.Teasers():
                return await self.open_teasers(who)
            case c.Claim(offer_id):
                return await self.claim(who, offer_id)
            case c.Decline(offer_id, reason, note):
                return await self.decline(who, offer_id, reason, note)
            case c.ListLeads():
                return await self.lead_list(who)
            case c.ShowLead(lead_id):
                return await self.lead_card(who, lead_id)
            case c.Progress(lead_id, report):
                return await self.report(who, lead_id, report)
            case c.TakeOver(lead_id):
                return await self.take_over(who, lead_id)
            case c.Explain(lead_id, partner_id, limit):
                return await management.explanation(self.runtime, who, lead_id, partner_id, limit)
            case c.Pipeline():
                async with self.runtime.uow() as uow:
                    return await pipeline(uow)
            case c.CockpitLink():
                return await management.cockpit_link(self.runtime, who)
            case c.Assign() | c.Pause() | c.Resume() | c.Away() | c.Back():
                return await management.partner_operation(self.runtime, who, command)
            case c.Release() | c.Reoffer() | c.Recall() | c.Erase():
                return await management.staff_action(self.runtime, who, command)
        raise TypeError(f"no handler for {command!r}")  # pragma: no cover - RULES covers all

    # --- reps ----------------------------------------------------------------------

    async def claim(self, who: Identity, offer_id: int) -> Reply:
        assert who.rep_id is not None  # execute checked: reps only
        async with self.runtime.uow() as uow:
            result = await claim(uow, offer_id, who.rep_id, who.platform)
        ok = result.outcome in (ClaimOutcome.WON, ClaimOutcome.ALREADY_YOURS)
        return Reply(
            f"claim.{result.outcome.value}",
            ok=ok,
            params={"lead_id": result.lead_id, "colleague": result.colleague},
            lead_id=result.lead_id,
        )

    async def decline(self, who: Identity, offer_id: int, reason: str, note: str | None) -> Reply:
        assert who.rep_id is not None  # execute checked: reps only
        try:
            async with self.runtime.uow() as uow:
                result = await decline(uow, offer_id, who.rep_id, reason, note, who.platform)
        except ServiceError as exc:
            return failure(exc)
        ok = result.outcome is DeclineOutcome.DECLINED
        return Reply(f"decline.{result.outcome.value}", ok=ok, lead_id=result.lead_id)

    async def decline_refused(self, who: Identity, offer_id: int) -> Reply | None:
        """Why ``who`` cannot decline ``offer_id`` now (None: they can): asked before a chat
        opens the dialog for the reason, so an old teaser's lead that was taken is told at
        the press, not after the form."""
        if who.rep_id is None:
            return Reply("reply.unknown_user", ok=False)
        async with self.runtime.uow() as uow:
            refused = await decline_refused(uow, offer_id, who.rep_id)
        if refused is None:
            return None
        return Reply(f"decline.{refused.outcome.value}", ok=False, lead_id=refused.lead_id)

    async def take_over(self, who: Identity, lead_id: int) -> Reply:
        """The rep makes their partner's lead theirs; the card comes as after a claim."""
        assert who.rep_id is not None  # execute checked: reps only
        try:
            async with self.runtime.uow() as uow:
                done = await take_over(uow, lead_id, who.rep_id, who.platform)
        except ServiceError as exc:
            return failure(exc, lead_id)
        params = {"lead_id": lead_id, "previous": done.previous or "–"}
        return Reply("takeover.done", params=params, lead_id=lead_id)

    async def report(self, who: Identity, lead_id: int, report: Report) -> Reply:
        if not who.known:
            return Reply("reply.unknown_user", ok=False)
        try:
            async with self.runtime.uow() as uow:
                lead = await report_progress(uow, lead_id, who.actor(), report, who.platform)
        except (ServiceError, IllegalTransition) as exc:
            return failure(exc, lead_id)
        if report.action is StatusAction.FOLLOW_UP:
            if lead.status is LeadStatus.CLAIMED and lead.claimed_at is not None:
                # A follow-up is no first contact: say plainly that the deadline still runs.
                hours = self.runtime.settings.distribution.claim_sla_hours
                return Reply(
                    "reply.follow_up_before_contact",
                    params={
                        "lead_id": lead_id,
                        "date": report.follow_up_on,
                        "recall_at": lead.claimed_at + timedelta(hours=hours),
                    },
                    lead_id=lead_id,
                )
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

    async def lead_list(self, who: Identity) -> LeadList:
        """A rep's open leads; staff also get every open lead and the pipeline."""
        mine = await self.my_leads(who.as_rep()) if who.is_rep else []
        if not who.is_staff:
            return LeadList(mine)
        everyone = await self.my_leads(who)
        async with self.runtime.uow() as uow:
            report = await pipeline(uow)
        return LeadList(mine, everyone, report)

    async def my_leads(self, who: Identity) -> list[LeadSummary]:
        """A rep's partner's open leads, each a colleague's named by its owner (a team
        sees whose lead to take over); for staff, every lead that is not closed."""
        query = (
            select(Lead, LeadPersonalData.company_name, Rep.name)
            .outerjoin(LeadPersonalData, LeadPersonalData.lead_id == Lead.id)
            .outerjoin(Rep, Rep.id == Lead.owner_rep_id)
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
                owner=owner if who.is_rep and lead.owner_rep_id != who.rep_id else None,
            )
            for lead, company, owner in rows
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
        per rep and lead, the newest). Tracked for the reps of the partner that owns the
        lead — the owner's and their colleagues' (:mod:`bot.leads.cards`)."""
        if who.rep_id is None or who.partner_id is None:
            return
        async with self.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
            if lead is None or lead.owner_partner_id != who.partner_id:
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

    async def open_teasers(self, who: Identity) -> TeaserList | Reply:
        """Offers still open for the rep's partner (what their channel shows as claimable).

        A paused partner can claim none of them (its offers wait for it to come back): the
        answer says so, instead of listing ``claim N`` hints that would all be refused."""
        if who.partner_id is None:
            return TeaserList([])
        known = frozenset(p.id for p in self.runtime.settings.products) or None
        async with self.runtime.uow() as uow:
            partner = await uow.session.get(Partner, who.partner_id)
            if partner is not None and is_paused(partner, local_today(uow)):
                return Reply("reply.teasers_paused", ok=False)
            rows = (
                await uow.session.execute(
                    select(Offer, Lead)
                    .join(Lead, Lead.id == Offer.lead_id)
                    .where(Offer.partner_id == who.partner_id, Offer.status == OfferStatus.OPEN)
                    .order_by(Offer.id)
                )
            ).all()
        return TeaserList(
            [
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
        )
