"""A rep's progress report: the actions, what each needs, and the checks of its values.

Pure: the chats (Slack modals, Telegram replies, the console, e-mail links) parse what a
rep typed with these functions and show the same errors; :mod:`bot.leads.progress` applies
a checked report to the lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from bot.errors import InvalidInput, check_note
from bot.leads.amounts import MAX_REVENUE_EUR
from bot.leads.lifecycle import OWNED, can_transition
from bot.models import LeadStatus
from bot.plaintext import quoted


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

TARGET_STATUS: dict[StatusAction, LeadStatus] = {
    StatusAction.CONTACTED: LeadStatus.CONTACTED,
    StatusAction.MEETING: LeadStatus.MEETING,
    StatusAction.PROPOSAL: LeadStatus.PROPOSAL,
    StatusAction.WON: LeadStatus.WON,
    StatusAction.LOST: LeadStatus.LOST,
    StatusAction.HAND_BACK: LeadStatus.RETURNED,
}
"""The status each action moves the lead to (a follow-up keeps it where it is)."""


def available_actions(status: LeadStatus) -> tuple[StatusAction, ...]:
    """The actions a lead card offers its owner in ``status``, in display order."""
    if status not in OWNED:
        return ()
    return tuple(
        action
        for action in StatusAction
        if action is StatusAction.FOLLOW_UP or can_transition(status, TARGET_STATUS[action])
    )


@dataclass(frozen=True)
class Report:
    """A progress report from a rep, already parsed from the platform's input."""

    action: StatusAction
    revenue_eur: Decimal | None = None
    reason: str | None = None
    note: str | None = None
    follow_up_on: date | None = None


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
            f"not a date: {quoted(text.strip())} (use 2026-03-15, 15.03.2026, +3d or tomorrow)"
        ) from None


def validate_report(report: Report, today: date) -> None:
    if report.action is StatusAction.WON:
        if report.revenue_eur is None:
            raise InvalidInput(
                "won: the revenue in euros is needed", key="reply.revenue_invalid", field="revenue"
            )
        if report.revenue_eur < 0 or report.revenue_eur >= MAX_REVENUE_EUR:
            raise InvalidInput(
                "won: the revenue must be a plausible amount in euros",
                key="reply.revenue_invalid",
                field="revenue",
            )
    if report.action is StatusAction.LOST and report.reason not in LOST_REASONS:
        raise InvalidInput(
            f"lost: the reason must be one of {', '.join(LOST_REASONS)}",
            key="form.reason_missing",
            field="reason",
        )
    if report.action is StatusAction.HAND_BACK and report.reason not in HAND_BACK_REASONS:
        raise InvalidInput(
            f"hand back: the reason must be one of {', '.join(HAND_BACK_REASONS)}",
            key="form.reason_missing",
            field="reason",
        )
    if report.action is StatusAction.FOLLOW_UP:
        if report.follow_up_on is None:
            raise InvalidInput("follow-up: a date is needed", key="form.date_missing", field="date")
        if report.follow_up_on < today:
            raise InvalidInput(
                "follow-up: the date is in the past", key="form.date_past", field="date"
            )
        if report.follow_up_on > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
            raise InvalidInput(
                "follow-up: the date is more than a year ahead",
                key="form.date_too_far",
                field="date",
            )
    if report.note is not None and len(report.note) > 2000:
        raise InvalidInput(
            "note: at most 2000 characters", key="reply.note_long", field="note", max=2000
        )
    check_note(report.note)
