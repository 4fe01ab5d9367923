"""Presentation helpers every platform shares: numbers, dates, labels, reply words, Jinja2.

Each platform package escapes user and lead text for its own format (Slack mrkdwn,
Telegram HTML, e-mail HTML, the terminal) and keeps its own templates; the part of escaping
every format needs is :func:`bot.plaintext.strip_control` (core code, so the web cockpit
uses it too). What they share is here: number and date formatting in the reader's language,
and :func:`environment`, which gives a platform's templates its escape function as Jinja2's
``finalize`` hook, so every ``{{ value }}`` is escaped and template text is not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.actors import STAFF_NAME
from bot.chat import choices
from bot.chat.verbs import localised_usage
from bot.content.problems import problem_lines
from bot.content.vocabulary import industry_key
from bot.i18n import has, t
from bot.reports.format import (
    day,
    display_zone,
    duration,
    money,
    pct,
    report_summary,
    report_warnings,
)


def moment(value: datetime | str | None, language: str = "de") -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(display_zone())
    return (
        local.strftime("%d.%m.%Y %H:%M") if language == "de" else local.strftime("%Y-%m-%d %H:%M")
    )


_UNITS_EN = (("Mrd", "bn"), ("Mio", "M"))


def band(language: str, value: str | None, *, euros: bool = False) -> str:
    """A teaser's size band in the reader's words: ``250 Mio - 1 Mrd €`` (de),
    ``250 M - 1 bn €`` (en); an unknown band is "unbekannt"/"unknown", without a currency."""
    if value is None or value == "unknown":
        return t(language, "teaser.unknown")
    text = value
    if language == "en":
        for german, english in _UNITS_EN:
            text = text.replace(german, english)
    return f"{text} €" if euros else text


def label(language: str, group: str, value: str | None) -> str:
    """Translate a vocabulary value (status, industry, ...) with a readable fallback.

    An industry as a CRM sent it (``Maschinenbau``, ``machinery``) reads as the vocabulary
    industry it maps to; one that maps to nothing is shown as given."""
    if value is None:
        return "–"
    text = t(language, f"{group}.{value}")
    if text == f"{group}.{value}" and group == "industry":
        mapped = industry_key(value)
        text = t(language, f"industry.{mapped}") if mapped else text
    return value if text == f"{group}.{value}" else text


@cache
def environment(templates: Path, escape: Callable[[str], str]) -> Environment:
    """The Jinja2 environment for one platform's templates folder and escape function."""

    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        return escape(value) if isinstance(value, str) else value

    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=False,
        finalize=finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals.update(
        t=t,
        money=money,
        day=day,
        moment=moment,
        label=label,
        band=band,
        notice_text=notice_text,
        summary=report_summary,
        report_warnings=report_warnings,
        duration=duration,
        pct=pct,
    )
    return env


def render(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context).strip()


def _reason(language: str, value: str) -> str:
    for group in ("lost_reason", "hand_back_reason", "recall_reason", "decline_reason"):
        text = t(language, f"{group}.{value}")
        if text != f"{group}.{value}":
            return text
    return value


_UNNAMED_STAFF = (None, STAFF_NAME, "cli")
"""A notice's ``by`` that names nobody: staff known by no name (``None``; ``staff`` or
``cli`` in notices queued before :attr:`bot.actors.Actor.shown`)."""


def readable_params(language: str, params: dict[str, Any]) -> dict[str, Any]:
    """Turn raw notice/reply parameters into words: statuses, reasons, lists, money, dates."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "by" and value in _UNNAMED_STAFF:
            out[key] = t(language, "actor.staff")  # "von Mitarbeitenden", "by staff"
        elif value is None:
            out[key] = "–"
        elif key == "status" and isinstance(value, str):
            # A lead status in its word ("won", "gewonnen"); a report that is no status
            # (``follow_up``) as its button says it. Asked by key: English spells many
            # statuses like their codes, which is no missing word.
            group = "status" if has(language, f"status.{value}") else "action"
            out[key] = label(language, group, value)
        elif key == "reason" and isinstance(value, str):
            out[key] = _reason(language, value)
        elif key == "allowed" and isinstance(value, dict):  # a refused reason (UsageError)
            out[key] = ", ".join(choices.typed_words(str(value.get("group")), language))
        elif key == "usage" and isinstance(value, str):  # a verb's usage (UsageError)
            out[key] = localised_usage(value, language)
        elif key == "problems" and isinstance(value, dict):  # content library problems
            out[key] = problem_lines(language, value.get("shown") or [], value.get("more") or 0)
        elif key == "products" and isinstance(value, list | tuple):
            out[key] = ", ".join(str(v) for v in value) or "–"
        elif key.endswith("_eur") and isinstance(value, int | float | Decimal | str):
            try:
                out[key] = money(Decimal(str(value)), language)
            except ArithmeticError:
                out[key] = value
        elif key in ("date", "follow_up_on", "until") and isinstance(value, date | str):
            out[key] = day(value, language)
        elif key.endswith("_at") and isinstance(value, datetime | str):
            out[key] = moment(value, language)
        else:
            out[key] = value
    return out


def reply_text(language: str, key: str, params: dict[str, Any]) -> str:
    """The words of a :class:`bot.chat.interactions.Reply` (unescaped; escape for the target)."""
    return t(language, key, **readable_params(language, params))


def notice_text(
    language: str, group: str, event: str, lead_id: int | None, params: dict[str, Any]
) -> str:
    """The sentence of a staff-feed, reminder or info notice (unescaped)."""
    if group == "staff" and event == "summary":
        return summary_text(language, params)
    key = f"{group}.{event}"
    if not params.get("reason") and has(language, f"{group}.no_reason.{event}"):
        key = f"{group}.no_reason.{event}"  # no "Grund: –." when none was given
    return t(language, key, lead_id=lead_id, **readable_params(language, params))


def summary_text(language: str, params: dict[str, Any]) -> str:
    """A staff-feed summary (``bot.delivery.summary``): a head line, then one line per event
    with its count and lead numbers. Messages queued within one minute are dated once
    ("21 Meldungen von 01.12.2026 00:36"), not as a range from that minute to itself."""
    first = moment(params.get("from_at"), language)
    last = moment(params.get("to_at"), language)
    head = t(
        language,
        "staff_summary.head_at" if first == last else "staff_summary.head",
        count=params.get("count", 0),
        from_at=first,
        to_at=last,
    )
    lines = [head]
    for entry in params.get("events", []):
        event = str(entry.get("event", ""))
        what = label(language, "staff_summary.event", event)
        leads = ", ".join(f"#{n}" for n in entry.get("leads", [])) or "–"
        if entry.get("more_leads"):
            leads += " " + t(language, "staff_summary.more", n=entry["more_leads"])
        lines.append(
            "• "
            + t(language, "staff_summary.line", count=entry.get("count", 0), what=what, leads=leads)
        )
    return "\n".join(lines)
