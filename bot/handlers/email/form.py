"""The fields of a one-click page's form, read and checked before a link is used up.

A won lead needs its revenue (``12.500``, ``12500,50 €`` — :func:`parse_revenue`), lost and
hand back a reason from the fixed lists, a follow-up a date (``parse_day``: ``15.03.2026``,
``2026-03-15`` from a date picker, ``+3d``). A mistake is answered with the form again and
a message in the rep's language — and the link stays unused, so they can correct it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
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
    parse_day,
    validate_report,
)
from bot.runtime import Runtime

MAX_FORM_BYTES = 16_384


class FormError(Exception):
    """A field is missing or wrong; ``key`` is the i18n message for the rep."""

    def __init__(self, key: str, detail: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.detail = detail
        self.params = params


@dataclass(frozen=True)
class Fields:
    """What the page needs for an action (the same rules render and read the form)."""

    revenue: bool = False
    reasons: tuple[str, ...] = ()
    reason_group: str = ""
    date: bool = False
    note: bool = False


def fields_for(action: StatusAction) -> Fields:
    """What the core says the action needs (``NEEDS``), as form fields."""
    needs = NEEDS[action]
    if needs is Needs.REVENUE:
        return Fields(revenue=True)
    if needs is Needs.REASON:
        return Fields(reasons=REASONS[action], reason_group=REASON_GROUPS[action], note=True)
    if needs is Needs.DATE:
        return Fields(date=True)
    return Fields()


DECLINE_FIELDS = Fields(reasons=DECLINE_REASONS, reason_group="decline_reason", note=True)
"""“Not for us”: a reason, and a note (needed for "other")."""


def read_decline(values: Mapping[str, str]) -> tuple[str, str | None]:
    """The reason and note of a "Not for us" form; raises :class:`FormError`."""
    reason = values.get("reason", "")
    note = values.get("note", "") or None
    try:
        validate_decline(reason, note)
    except InvalidInput as exc:
        raise FormError(exc.key or "form.reason_missing", **exc.params) from None
    return reason, note


MAX_FIELDS = 20
"""More fields than any form of ours has: a script, not the page (refused, not parsed)."""


def parse_body(body: bytes) -> dict[str, str]:
    """``application/x-www-form-urlencoded`` to the first value of each field.

    A body that is not UTF-8 or has more than :data:`MAX_FIELDS` fields (``parse_qs``
    raises ``ValueError`` for both) is :class:`FormError` ``email.page.malformed``.
    Line breaks become LF: a browser sends a textarea's as CR LF, but counts each as one
    character against its ``maxlength`` — as the note's limit does, and the chats send.
    """
    try:
        values = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        raise FormError("email.page.malformed") from None
    return {key: items[0].strip().replace("\r\n", "\n") for key, items in values.items() if items}


def today(runtime: Runtime) -> date:
    zone = ZoneInfo(runtime.settings.distribution.timezone)
    return runtime.clock.now().astimezone(zone).date()


def read_report(action: StatusAction, values: Mapping[str, str], day: date) -> Report:
    """The report the form asks for; raises :class:`FormError` naming what is wrong."""
    need = fields_for(action)
    revenue = reason = note = follow_up = None
    if need.revenue:
        text = values.get("revenue", "")
        if not text:
            raise FormError("email.page.revenue_missing")
        try:
            revenue = parse_revenue(text)
        except InvalidInput as error:
            raise FormError(error.key or "reply.revenue_invalid") from None
    if need.reasons:
        reason = values.get("reason", "")
        if reason not in need.reasons:
            raise FormError("form.reason_missing")
    if need.note:
        note = values.get("note", "") or None
    if need.date:
        text = values.get("date", "")
        if not text:
            raise FormError("form.date_missing")
        try:
            follow_up = parse_day(text, day)
        except InvalidInput:
            raise FormError("form.date_invalid") from None
        if follow_up < day:
            raise FormError("form.date_past")
        if follow_up > day + timedelta(days=MAX_FOLLOW_UP_DAYS):
            raise FormError("form.date_too_far")
    report = Report(action, revenue_eur=revenue, reason=reason, note=note, follow_up_on=follow_up)
    try:
        validate_report(report, day)
    except InvalidInput as exc:
        if exc.key is not None:  # said in the rep's language
            raise FormError(exc.key, **exc.params) from None
        raise FormError("reply.error", str(exc)) from None
    return report
