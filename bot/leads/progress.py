"""What happens to a lead after the claim: progress reports, follow-ups, hand back, recall.

Reps of the owning partner report from the chat (contacted, meeting, proposal, won with
revenue, lost with a reason, a follow-up date, or hand the lead back). Staff and the SLA
timers can recall a lead. A returned or recalled lead goes back to matching with that
partner excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.actors import Actor
from bot.delivery.notices import NoticeKind, ToRep
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.leads.distribution import RoundOutcome, cancel_timers, start_round
from bot.leads.events import change_status, record
from bot.leads.lifecycle import OWNED, IllegalTransition, can_transition
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


class StatusAction(StrEnum):
    CONTACTED = "contacted"
    MEETING = "meeting"
    PROPOSAL = "proposal"
    WON = "won"
    LOST = "lost"
    FOLLOW_UP = "follow_up"
    HAND_BACK = "hand_back"


LOST_REASONS: tuple[str, ...] = (
    "price",
    "competitor",
    "no_budget",
    "no_need",
    "timing",
    "unreachable",
    "other",
)
HAND_BACK_REASONS: tuple[str, ...] = (
    "no_capacity",
    "wrong_region",
    "wrong_product",
    "not_our_segment",
    "conflict",
    "other",
)
REASONS: dict[StatusAction, tuple[str, ...]] = {
    StatusAction.LOST: LOST_REASONS,
    StatusAction.HAND_BACK: HAND_BACK_REASONS,
}
"""The actions that need a reason, and the reasons each allows."""
REASON_GROUPS: dict[StatusAction, str] = {
    StatusAction.LOST: "lost_reason",
    StatusAction.HAND_BACK: "hand_back_reason",
}
"""The i18n group that names each action's reasons."""


class Needs(StrEnum):
    """What a status action needs besides the lead; chats ask for it their own way."""

    NOTHING = "nothing"  # one tap
    REVENUE = "revenue"
    REASON = "reason"  # one of REASONS[action], and an optional note
    DATE = "date"


NEEDS: dict[StatusAction, Needs] = {
    StatusAction.CONTACTED: Needs.NOTHING,
    StatusAction.MEETING: Needs.NOTHING,
    StatusAction.PROPOSAL: Needs.NOTHING,
    StatusAction.WON: Needs.REVENUE,
    StatusAction.LOST: Needs.REASON,
    StatusAction.FOLLOW_UP: Needs.DATE,
    StatusAction.HAND_BACK: Needs.REASON,
}
MAX_FOLLOW_UP_DAYS = 366
MAX_REVENUE_EUR = Decimal("1000000000000")

_TARGET = {
    StatusAction.CONTACTED: LeadStatus.CONTACTED,
    StatusAction.MEETING: LeadStatus.MEETING,
    StatusAction.PROPOSAL: LeadStatus.PROPOSAL,
    StatusAction.WON: LeadStatus.WON,
    StatusAction.LOST: LeadStatus.LOST,
    StatusAction.HAND_BACK: LeadStatus.RETURNED,
}


def available_actions(status: LeadStatus) -> tuple[StatusAction, ...]:
    """The actions a lead card offers its owner in ``status``, in display order."""
    if status not in OWNED:
        return ()
    return tuple(
        action
        for action in StatusAction
        if action is StatusAction.FOLLOW_UP or can_transition(status, _TARGET[action])
    )


@dataclass(frozen=True)
class Report:
    """A progress report from a rep, already parsed from the platform's input."""

    action: StatusAction
    revenue_eur: Decimal | None = None
    reason: str | None = None
    note: str | None = None
    follow_up_on: date | None = None


def parse_revenue(text: str) -> Decimal:
    """``"12.500,50 €"``, ``"12500.50"``, ``"12 500"`` -> Decimal. Raises InvalidInput."""
    cleaned = (
        text.strip().replace("€", "").replace("EUR", "").replace(" ", "").replace("\u202f", "")
    )
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        cleaned = f"{head.replace(',', '')}.{tail}" if len(tail) <= 2 else cleaned.replace(",", "")
    elif cleaned.count(".") == 1 and len(cleaned.rpartition(".")[2]) == 3:
        cleaned = cleaned.replace(".", "")  # German thousands separator: 12.500
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput(f"revenue: {text.strip()!r} is not an amount in euros") from None
    if not value.is_finite() or value < 0 or value >= MAX_REVENUE_EUR:
        raise InvalidInput(f"revenue: {text.strip()!r} is not a plausible amount in euros")
    return value.quantize(Decimal("0.01"))


def parse_day(text: str, today: date) -> date:
    """A follow-up date as people type it: ``2026-03-15``, ``15.03.2026``, ``15.3.``,
    ``+3d``, ``+1w``, ``today``/``heute``, ``tomorrow``/``morgen``. Raises InvalidInput.

    Only the shape is checked here; :func:`validate_report` refuses past or far dates.
    """
    value = text.strip().lower()
    if value in ("today", "heute"):
        return today
    if value in ("tomorrow", "morgen"):
        return today + timedelta(days=1)
    relative = re.fullmatch(r"\+\s*(\d{1,3})\s*([dtw])", value)
    if relative:
        n = int(relative.group(1))
        return today + timedelta(days=n * (7 if relative.group(2) == "w" else 1))
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})?", value)
    try:
        if german:
            year = int(german.group(3)) if german.group(3) else today.year
            found = date(year, int(german.group(2)), int(german.group(1)))
            if german.group(3) is None and found < today:
                found = found.replace(year=year + 1)  # "15.1." in December: next January
            return found
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"not a date: {text.strip()!r} (use 2026-03-15, 15.03.2026, +3d or tomorrow)"
        ) from None


def validate_report(report: Report, today: date) -> None:
    if report.action is StatusAction.WON:
        if report.revenue_eur is None:
            raise InvalidInput("won: the revenue in euros is needed", key="reply.revenue_invalid")
        if report.revenue_eur < 0 or report.revenue_eur >= MAX_REVENUE_EUR:
            raise InvalidInput(
                "won: the revenue must be a plausible amount in euros", key="reply.revenue_invalid"
            )
    if report.action is StatusAction.LOST and report.reason not in LOST_REASONS:
        raise InvalidInput(
            f"lost: the reason must be one of {', '.join(LOST_REASONS)}", key="form.reason_missing"
        )
    if report.action is StatusAction.HAND_BACK and report.reason not in HAND_BACK_REASONS:
        raise InvalidInput(
            f"hand back: the reason must be one of {', '.join(HAND_BACK_REASONS)}",
            key="form.reason_missing",
        )
    if report.action is StatusAction.FOLLOW_UP:
        if report.follow_up_on is None:
            raise InvalidInput("follow-up: a date is needed", key="form.date_missing")
        if report.follow_up_on < today:
            raise InvalidInput("follow-up: the date is in the past", key="form.date_past")
        if report.follow_up_on > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
            raise InvalidInput(
                "follow-up: the date is more than a year ahead", key="form.date_too_far"
            )
    if report.note is not None and len(report.note) > 2000:
        raise InvalidInput("note: at most 2000 characters", key="reply.note_long", max=2000)


async def owned_lead(uow: UnitOfWork, lead_id: int, actor: Actor) -> Lead:
    lead = await uow.session.get(Lead, lead_id)
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
        wanted = _TARGET[report.action]
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
        await uow.outbox.enqueue(
            ToRep(lead.owner_rep_id), NoticeKind.LEAD_CARD, {"event": event}, lead_id=lead.id
        )
    partner = (
        await uow.session.get(Partner, lead.owner_partner_id) if lead.owner_partner_id else None
    )
    await uow.outbox.staff(
        "status",
        lead_id=lead.id,
        status=event,
        partner=partner.name if partner else None,
        by=actor.label,
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
    uow: UnitOfWork, lead: Lead, actor: Actor, status: LeadStatus, reason: str, note: str | None
) -> Partner | None:
    """The owner loses the lead: status, exclusion, the owner's card, the staff feed.

    The event names the partner that lost the lead (also when staff or the SLA timer acted),
    so partner reliability counts recalls against the right partner.
    """
    change_status(
        uow, lead, status, actor, partner_id=lead.owner_partner_id, reason=reason, note=note
    )
    partner_id, rep_id = await _release_owner(uow, lead, status.value)
    if rep_id is not None:
        await uow.outbox.enqueue(
            ToRep(rep_id), NoticeKind.LEAD_CARD, {"event": status.value}, lead_id=lead.id
        )
    partner = await uow.session.get(Partner, partner_id) if partner_id else None
    await uow.outbox.staff(
        status.value, lead_id=lead.id, partner=partner.name if partner else None, reason=reason
    )
    return partner


async def hand_back(
    uow: UnitOfWork, lead: Lead, actor: Actor, reason: str, note: str | None = None
) -> RoundOutcome:
    """The owning partner gives the lead back; it is re-offered to others."""
    await _give_back(uow, lead, actor, LeadStatus.RETURNED, reason, note)
    return await start_round(uow, lead, Actor.system(actor.channel))


async def recall(uow: UnitOfWork, lead: Lead, actor: Actor, reason: str) -> RoundOutcome:
    """Take an owned lead away (SLA missed, or staff decided) and re-offer it to others.

    Missing the SLA counts against the partner; after ``pause_after_sla_misses`` misses the
    partner is paused (gets no more leads) and staff are told.
    """
    partner = await _give_back(uow, lead, actor, LeadStatus.RECALLED, reason, None)
    if partner is not None and reason == "sla":
        partner.sla_misses += 1
        limit = uow.settings.distribution.pause_after_sla_misses
        if limit and partner.sla_misses >= limit and partner.paused_at is None:
            partner.paused_at = uow.clock.now()
            partner.pause_reason = f"missed the claim SLA {partner.sla_misses} times"
            await uow.outbox.staff(
                "partner_paused", partner=partner.name, misses=partner.sla_misses
            )
    return await start_round(uow, lead, Actor.system(actor.channel))


async def open_leads_of_rep(uow: UnitOfWork, rep_id: int) -> list[Lead]:
    rows = await uow.session.scalars(
        select(Lead).where(Lead.owner_rep_id == rep_id, Lead.status.in_(OWNED)).order_by(Lead.id)
    )
    return list(rows.all())
