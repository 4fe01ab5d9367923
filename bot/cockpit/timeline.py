"""A lead's audit trail as the cockpit's lead page shows it: every event in the reader's words.

The ``lead_events`` rows keep machine words — the kind (``wave``), the channel (``api``),
details as keys and codes (``offer_id``, ``reason=conflict``, ``expires_at`` as UTC ISO) —
and the CSV/JSON exports and the CRM API hand them on as stored: those are contracts. A
person reading the page gets words instead: kinds, channels and the known detail keys from
the catalogs (``audit.*``), reasons from the reason catalogs the chats use, times as local
time in ``[distribution] timezone`` in the page's date format, money as money. A detail key
this module does not know is shown as stored (``key=value``), so nothing recorded is hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.actors import STAFF_NAME
from bot.explain.words import check_text
from bot.i18n import has, t
from bot.matching.model import Check
from bot.models import ActorKind, LeadEvent
from bot.reports.format import day, display_zone, money

DETAIL_ORDER = (
    "round",
    "wave",
    "offer_id",
    "partners",
    "assigned_to",
    "expires_at",
    "reason",
    "from_rep",
    "to_rep",
    "note",
    "revenue_eur",
    "date",
    "source",
    "of",
    "partners_checked",
    "warnings",
)
"""The detail keys the page puts in words, in the order it shows them (others follow)."""

HIDDEN = frozenset({"checks"})
"""Detail keys that only help say another one in words (``checks``: the ``warnings``)."""

REASONS_BY_STATUS = {
    "lost": "lost_reason",
    "returned": "hand_back_reason",
    "recalled": "recall_reason",
    "held": "audit.hold_reason",
}
"""Which catalog names a status change's ``reason``: the one of the status it went to."""

REASONS_BY_KIND = {"declined": "decline_reason", "owner_left": "owner_left_reason"}
REASON_GROUPS = (
    "lost_reason",
    "hand_back_reason",
    "recall_reason",
    "decline_reason",
    "owner_left_reason",
    "audit.hold_reason",
)
"""Every reason catalog, for a reason whose event says nothing about its kind."""

SEPARATOR = " · "


def moment(value: datetime | str | None, language: str) -> str:
    """A point in time as people read it: local time in ``[distribution] timezone``,
    ``01.12.2026 00:36`` (de) or ``2026-12-01 00:36`` (en). Text that is no ISO time is
    shown as it is."""
    if value is None:
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    local = value.astimezone(display_zone())
    return local.strftime("%d.%m.%Y %H:%M" if language == "de" else "%Y-%m-%d %H:%M")


def _catalogued(language: str, group: str, value: str) -> str | None:
    key = f"{group}.{value}"
    return t(language, key) if has(language, key) else None


def what(language: str, event: LeadEvent) -> str:
    """What happened: a status change as ``from → to`` (the first one, when the lead came
    in, as its status alone); any other event by its kind in the reader's words."""
    if event.to_status:
        to = _catalogued(language, "status", event.to_status) or event.to_status
        if not event.from_status:
            return to
        before = _catalogued(language, "status", event.from_status) or event.from_status
        return f"{before} → {to}"
    return _catalogued(language, "audit.kind", event.kind) or event.kind


def who(language: str, event: LeadEvent) -> str:
    """Who acted: the kind in the reader's words ("Mitarbeitende", "Vertrieb", "leadbot"),
    then the recorded name — unless it only repeats the kind: ``staff``, the stand-in of
    staff known by no name; ``leadbot`` itself; or the tool staff used (``cli``, ``api``:
    :meth:`bot.actors.Actor.tool`), which the "via" column already names."""
    kind = event.actor_kind.value
    shown = _catalogued(language, "actor_kind", kind) or kind
    name = event.actor_name
    tool = kind == ActorKind.STAFF.value and name == event.channel.value
    return f"{shown}: {name}" if name and name not in (STAFF_NAME, shown) and not tool else shown


def via(language: str, channel: str) -> str:
    """Where it came from: ``API``, ``Kommandozeile``/``command line``, ``Konsole``, …"""
    return _catalogued(language, "audit.channel", channel) or channel


def reason(language: str, event: LeadEvent, value: str) -> str:
    """A reason code in words, from the catalog of the event's status or kind (a lost
    lead's ``price``, a hand-back's ``conflict``, a decline's ``too_far``), else from any
    reason catalog that knows it, else as stored."""
    first = REASONS_BY_STATUS.get(event.to_status or "") or REASONS_BY_KIND.get(event.kind)
    for group in (first, *REASON_GROUPS) if first else REASON_GROUPS:
        found = _catalogued(language, group, value)
        if found is not None:
            return found
    return value


def _listed(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _euros(value: Any, language: str) -> str:
    try:
        return money(Decimal(str(value)), language)
    except (InvalidOperation, ValueError):
        return str(value)


def _value(language: str, event: LeadEvent, key: str, value: Any) -> str:
    """One detail's value, ready for its sentence (``audit.detail.<key>``)."""
    shown: dict[str, Callable[[], str]] = {
        "reason": lambda: reason(language, event, str(value)),
        "revenue_eur": lambda: _euros(value, language),
        "date": lambda: day(str(value), language),
    }
    if key in shown:
        try:
            return shown[key]()
        except ValueError:
            return str(value)
    if key.endswith("_at"):
        return moment(str(value), language)
    if isinstance(value, list | tuple):
        return _listed(value)
    return str(value)


def _warnings(language: str, stored: Any, checks: Any) -> Any:
    """A manual assignment's warnings (the filters it overruled) in the reader's words, from
    the ``checks`` recorded with them; the stored English sentences for older events."""
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        return stored
    try:
        said = [
            check_text(
                Check(str(c["name"]), False, str(detail), str(c["key"]), dict(c["params"])),
                language,
            )
            for c, detail in zip(checks, stored, strict=True)
        ]
    except (KeyError, TypeError, ValueError):
        return stored
    return "; ".join(said)


def _detail(language: str, event: LeadEvent, key: str, value: Any) -> str:
    if key not in DETAIL_ORDER:
        return f"{key}={value}"
    if key == "partners" and not value:
        return t(language, "audit.detail.partners_none")
    if key == "partners_checked":
        return t(language, "audit.detail.partners_checked", value=value)
    if key == "warnings":
        value = _warnings(language, value, (event.detail or {}).get("checks"))
    return t(language, f"audit.detail.{key}", value=_value(language, event, key, value))


def details(language: str, event: LeadEvent) -> str:
    """The event's details in the reader's words: the known keys in :data:`DETAIL_ORDER`,
    then any other as ``key=value`` (sorted), joined with `` · ``."""
    stored = event.detail or {}
    known = [k for k in DETAIL_ORDER if k in stored]
    others = sorted(k for k in stored if k not in DETAIL_ORDER and k not in HIDDEN)
    return SEPARATOR.join(_detail(language, event, k, stored[k]) for k in known + others)
