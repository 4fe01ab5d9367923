"""What happens to a lead after the claim: progress reports, follow-ups, hand back, recall.

Reps of the owning partner report from the chat (contacted, meeting, proposal, won with
revenue, lost with a reason, a follow-up date, or hand the lead back). Staff and the SLA
timers can recall a lead. A returned or recalled lead goes back to matching with that
partner excluded. What a report may say, and how its values are read and checked, is in
:mod:`bot.leads.status_reports`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.actors import Actor
from bot.directory.pause_causes import sla_misses
from bot.errors import NotAllowed, NotFound
from bot.leads.cards import edit_colleague_cards, update_card
from bot.leads.distribution import RoundOutcome, cancel_timers, start_round
from bot.leads.events import change_status, record
from bot.leads.lifecycle import OWNED, IllegalTransition
from bot.leads.locks import lead_for_update
from bot.leads.status_reports import (
    TARGET_STATUS,
    Report,
    StatusAction,
    validate_report,
)
from bot.models import (
    ActorKind,
    Lead,
    LeadExclusion,
    LeadStatus,
    Partner,
    Platform,
    Timer,
    TimerKind,
)
from bot.uow import UnitOfWork


async def owned_lead(uow: UnitOfWork, lead_id: int, actor: Actor) -> Lead:
    lead = await lead_for_update(uow.session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist", key="reply.not_found", lead_id=lead_id)
    if actor.kind is ActorKind.REP and lead.owner_partner_id != actor.partner_id:
        raise NotAllowed(
            f"lead {lead_id} is not one of your partner's leads",
            key="reply.not_yours",
            lead_id=lead_id,
        )
    if actor.kind is ActorKind.REP and lead.status not in OWNED:
        raise NotAllowed(
            f"lead {lead_id} is {lead.status.value}; it can no longer be updated",
            key="reply.not_now",
            lead_id=lead_id,
            status=lead.status.value,
        )
    return lead


def follow_up_due(uow: UnitOfWork, day: date) -> datetime:
    dist = uow.settings.distribution
    local = datetime.combine(day, time(hour=dist.follow_up_hour), tzinfo=ZoneInfo(dist.timezone))
    return local.astimezone(ZoneInfo("UTC"))


async def report_progress(
    uow: UnitOfWork, lead_id: int, actor: Actor, report: Report, via: Platform | None = None
) -> Lead:
    """Apply a progress report. Commits. Raises ServiceError or IllegalTransition."""
    today = uow.clock.now().astimezone(ZoneInfo(uow.settings.distribution.timezone)).date()
    validate_report(report, today)
    lead = await owned_lead(uow, lead_id, actor)
    if report.action is StatusAction.HAND_BACK:
        await hand_back(uow, lead, actor, report.reason or "other", report.note)
        await uow.commit()
        return lead
    if report.action is StatusAction.FOLLOW_UP:
        assert report.follow_up_on is not None
        if lead.status not in OWNED:
            raise IllegalTransition(lead.id, lead.status, lead.status)
        lead.follow_up_on = report.follow_up_on
        lead.updated_at = uow.clock.now()
        await cancel_timers(uow, lead.id, TimerKind.FOLLOW_UP)
        uow.session.add(
            Timer(
                kind=TimerKind.FOLLOW_UP,
                lead_id=lead.id,
                due_at=follow_up_due(uow, report.follow_up_on),
                payload={"date": report.follow_up_on.isoformat()},
            )
        )
        record(
            uow, lead, actor, "follow_up", date=report.follow_up_on.isoformat(), note=report.note
        )
        event = "follow_up"
    else:
        wanted = TARGET_STATUS[report.action]
        change_status(
            uow,
            lead,
            wanted,
            actor,
            revenue_eur=str(report.revenue_eur) if report.revenue_eur is not None else None,
            reason=report.reason,
            note=report.note,
        )
        now = uow.clock.now()
        if lead.contacted_at is None:
            lead.contacted_at = now
        await cancel_timers(uow, lead.id, TimerKind.CLAIM_SLA_REMINDER, TimerKind.CLAIM_SLA_RECALL)
        if wanted is LeadStatus.WON:
            lead.revenue_eur = report.revenue_eur
        if wanted is LeadStatus.LOST:
            lead.lost_reason = report.reason
        if wanted in (LeadStatus.WON, LeadStatus.LOST):
            lead.closed_at = now
            lead.follow_up_on = None
            await cancel_timers(uow, lead.id)
        event = wanted.value
    await _card_and_feed(uow, lead, actor, event, via, report)
    await uow.commit()
    return lead


async def _card_and_feed(
    uow: UnitOfWork, lead: Lead, actor: Actor, event: str, via: Platform | None, report: Report
) -> None:
    if lead.owner_rep_id is not None:
        by_colleague = actor.rep_id is not None and actor.rep_id != lead.owner_rep_id
        colleague = actor.shown if by_colleague else None
        await update_card(
            uow,
            lead.id,
            lead.owner_rep_id,
            lead.claimed_via,
            event,
            colleague,
            partner_id=lead.owner_partner_id,
            by=(actor.rep_id, actor.shown) if actor.rep_id is not None and actor.shown else None,
        )
    partner = (
        await uow.session.get(Partner, lead.owner_partner_id) if lead.owner_partner_id else None
    )
    await uow.outbox.staff(
        "status",
        lead_id=lead.id,
        status=event,
        partner=partner.name if partner else None,
        by=actor.shown,
        revenue_eur=str(report.revenue_eur) if report.revenue_eur is not None else None,
        reason=report.reason,
        follow_up_on=report.follow_up_on.isoformat() if report.follow_up_on else None,
    )


async def _exclude(uow: UnitOfWork, lead: Lead, partner_id: str, reason: str) -> None:
    existing = await uow.session.get(LeadExclusion, (lead.id, partner_id))
    if existing is None:
        uow.session.add(
            LeadExclusion(lead_id=lead.id, partner_id=partner_id, reason=reason, at=uow.clock.now())
        )


async def _release_owner(uow: UnitOfWork, lead: Lead, reason: str) -> tuple[str | None, int | None]:
    partner_id, rep_id = lead.owner_partner_id, lead.owner_rep_id
    if partner_id:
        await _exclude(uow, lead, partner_id, reason)
    lead.owner_partner_id = None
    lead.owner_rep_id = None
    lead.claimed_at = None
    lead.claimed_via = None
    lead.contacted_at = None
    lead.follow_up_on = None
    await cancel_timers(uow, lead.id)
    return partner_id, rep_id


async def _give_back(
    uow: UnitOfWork,
    lead: Lead,
    actor: Actor,
    status: LeadStatus,
    reason: str,
    note: str | None,
    tell_owner: bool = True,
) -> Partner | None:
    """The owner loses the lead: status, exclusion, the owner's card, the staff feed.

    The event names the partner that lost the lead (also when staff or the SLA timer acted),
    so partner reliability counts recalls against the right partner. ``tell_owner`` False:
    the owning rep has left the partner and hears nothing more (:mod:`bot.directory.departures`).
    """
    change_status(
        uow, lead, status, actor, partner_id=lead.owner_partner_id, reason=reason, note=note
    )
    claimed_via = lead.claimed_via
    partner_id, rep_id = await _release_owner(uow, lead, status.value)
    event = _card_event(status, reason)
    if rep_id is not None and tell_owner:
        await update_card(uow, lead.id, rep_id, claimed_via, event, partner_id=partner_id)
    else:  # the owner left (or there was none): the colleagues' cards lose the lead all the same
        besides = {rep_id} if rep_id is not None else set()
        await edit_colleague_cards(uow, lead.id, partner_id, event, besides=besides)
    partner = await uow.session.get(Partner, partner_id) if partner_id else None
    await uow.outbox.staff(
        status.value, lead_id=lead.id, partner=partner.name if partner else None, reason=reason
    )
    return partner


def _card_event(status: LeadStatus, reason: str) -> str:
    """The card event that tells the rep why the lead left them: a recall says whether the
    deadline passed (``recalled_sla``) or the manufacturer took it (``recalled_staff``), so
    the rep knows whether to hurry next time or to ask staff."""
    if status is LeadStatus.RECALLED and reason in ("sla", "staff"):
        return f"recalled_{reason}"
    return status.value


async def hand_back(
    uow: UnitOfWork, lead: Lead, actor: Actor, reason: str, note: str | None = None
) -> RoundOutcome:
    """The owning partner gives the lead back; it is re-offered to others."""
    await _give_back(uow, lead, actor, LeadStatus.RETURNED, reason, note)
    return await start_round(uow, lead, Actor.system(actor.channel))


async def recall(
    uow: UnitOfWork, lead: Lead, actor: Actor, reason: str, *, tell_owner: bool = True
) -> RoundOutcome:
    """Take an owned lead away (SLA missed, or staff decided) and re-offer it to others.

    Missing the SLA counts against the partner; after ``pause_after_sla_misses`` misses the
    partner is paused (gets no more leads) and staff are told.
    """
    partner = await _give_back(uow, lead, actor, LeadStatus.RECALLED, reason, None, tell_owner)
    if partner is not None and reason == "sla":
        partner.sla_misses += 1
        limit = uow.settings.distribution.pause_after_sla_misses
        if limit and partner.sla_misses >= limit and partner.paused_at is None:
            partner.paused_at = uow.clock.now()
            partner.pause_reason = None
            partner.pause_cause = sla_misses(partner.sla_misses)
            await uow.outbox.staff(
                "partner_paused", partner=partner.name, misses=partner.sla_misses
            )
    return await start_round(uow, lead, Actor.system(actor.channel))


async def open_leads_of_rep(uow: UnitOfWork, rep_id: int) -> list[Lead]:
    rows = await uow.session.scalars(
        select(Lead).where(Lead.owner_rep_id == rep_id, Lead.status.in_(OWNED)).order_by(Lead.id)
    )
    return list(rows.all())
