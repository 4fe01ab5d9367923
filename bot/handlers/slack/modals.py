"""The short dialogs behind Won, Lost, Follow-up and Hand back, and reading them back.

A modal remembers which lead it is about (``private_metadata``). When it is submitted,
:func:`read_report` turns the inputs into a core :class:`~bot.leads.progress.Report` —
or into Slack's ``errors`` per input block, which the handler returns with
``response_action: errors`` so the user fixes the value in the open modal. The rules are
the core's (``parse_revenue``, ``validate_report``, the reason lists); this module only
maps them to Slack's inputs and to words in the rep's language.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from bot.errors import InvalidInput
from bot.handlers.slack.kit import Block, context, esc, plain
from bot.handlers.text import label
from bot.i18n import t
from bot.leads.amounts import parse_revenue
from bot.leads.declines import DECLINE_REASONS, validate_decline
from bot.leads.status_reports import (
    MAX_FOLLOW_UP_DAYS,
    NEEDS,
    REASON_GROUPS,
    REASONS,
    Needs,
    Report,
    StatusAction,
    validate_report,
)

CALLBACK_PREFIX = "report_"
WITH_MODAL = tuple(action for action, needs in NEEDS.items() if needs is not Needs.NOTHING)
"""Actions that need more than a tap (revenue, reason, date): they open a modal."""
NOTE_MAX = 2000


def callback_id(action: StatusAction) -> str:
    return f"{CALLBACK_PREFIX}{action.value}"


def action_of(callback: str) -> StatusAction | None:
    value = callback.removeprefix(CALLBACK_PREFIX)
    try:
        action = StatusAction(value)
    except ValueError:
        return None
    return action if action in WITH_MODAL and callback.startswith(CALLBACK_PREFIX) else None


def _input(block_id: str, text: str, element: Block, *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(text, 2000),
        "optional": optional,
        "element": element,
    }


def _reasons(language: str, group: str, reasons: tuple[str, ...]) -> Block:
    return {
        "type": "static_select",
        "action_id": "reason_select",
        "placeholder": plain(t(language, "form.reason"), 150),
        "options": [
            {"text": plain(label(language, group, reason), 75), "value": reason}
            for reason in reasons
        ],
    }


def _note(language: str) -> Block:
    element = {
        "type": "plain_text_input",
        "action_id": "note_input",
        "multiline": True,
        "max_length": NOTE_MAX,
    }
    return _input("note", t(language, "form.note"), element, optional=True)


def report_modal(
    action: StatusAction, lead_id: int, language: str, today: date, origin: dict[str, Any]
) -> Block:
    """The modal for ``action`` on ``lead_id``; ``origin`` says where to answer afterwards."""
    blocks: list[Block] = [context(esc(t(language, "form.lead", lead_id=lead_id)))]
    if NEEDS[action] is Needs.REVENUE:
        element = {
            "type": "plain_text_input",
            "action_id": "revenue_input",
            "placeholder": plain(t(language, "form.revenue_hint"), 150),
        }
        blocks.append(_input("revenue", t(language, "form.revenue"), element))
    elif NEEDS[action] is Needs.REASON:
        reasons = _reasons(language, REASON_GROUPS[action], REASONS[action])
        blocks.append(_input("reason", t(language, "form.reason"), reasons))
        blocks.append(_note(language))
    else:
        element = {
            "type": "datepicker",
            "action_id": "date_picker",
            "initial_date": (today + timedelta(days=1)).isoformat(),
        }
        blocks.append(_input("date", t(language, "form.date"), element))
    return {
        "type": "modal",
        "callback_id": callback_id(action),
        "title": plain(label(language, "action", action.value), 24),
        "submit": plain(t(language, "form.save"), 24),
        "close": plain(t(language, "form.cancel"), 24),
        "private_metadata": json.dumps({"lead_id": lead_id, **origin}),
        "blocks": blocks,
    }


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def read_report(
    action: StatusAction, values: dict[str, Any], language: str, today: date
) -> Report | dict[str, str]:
    """The submitted report, or Slack ``errors`` (input block id -> message)."""
    note = str(values.get("note") or "").strip() or None
    if NEEDS[action] is Needs.REVENUE:
        try:
            revenue = parse_revenue(str(values.get("revenue") or ""))
        except InvalidInput as error:
            return {"revenue": error.said(language)}
        report, field = Report(action, revenue_eur=revenue), "revenue"
    elif NEEDS[action] is Needs.REASON:
        reason = values.get("reason")
        if reason not in REASONS[action]:
            return {"reason": t(language, "form.reason_missing")}
        report, field = Report(action, reason=str(reason), note=note), "reason"
    else:
        picked = _day(values.get("date"))
        if picked is None:
            return {"date": t(language, "form.date_missing")}
        if picked < today:
            return {"date": t(language, "form.date_past")}
        if picked > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
            return {"date": t(language, "form.date_too_far")}
        report, field = Report(action, follow_up_on=picked), "date"
    try:
        validate_report(report, today)  # the core's rules have the last word
    except InvalidInput as exc:  # in the rep's language, at the input the core names
        return {exc.field or field: exc.said(language)}
    return report


DECLINE_CALLBACK = "decline_offer"


def decline_modal(offer_id: int, language: str, origin: dict[str, Any]) -> Block:
    """“Not for us”: the reason (and a note, needed for "other") for declining an offer."""
    reasons = _reasons(language, "decline_reason", DECLINE_REASONS)
    return {
        "type": "modal",
        "callback_id": DECLINE_CALLBACK,
        "title": plain(t(language, "decline.title"), 24),
        "submit": plain(t(language, "form.save"), 24),
        "close": plain(t(language, "form.cancel"), 24),
        "private_metadata": json.dumps({"offer_id": offer_id, **origin}),
        "blocks": [_input("reason", t(language, "form.reason"), reasons), _note(language)],
    }


def read_decline(values: dict[str, Any], language: str) -> tuple[str, str | None] | dict[str, str]:
    """The reason and note, or Slack ``errors`` per input block (the core's rules)."""
    reason = str(values.get("reason") or "")
    note = str(values.get("note") or "").strip() or None
    try:
        validate_decline(reason, note)
    except InvalidInput as exc:  # in the rep's language, at the input the core names
        return {exc.field or "reason": t(language, exc.key or "form.reason_missing", **exc.params)}
    return reason, note
