"""Numbers, money, days, shares and durations in the reader's language.

The core's renderers (the cockpit, the digest) and every chat platform share these
(``bot.handlers.text`` re-exports ``money`` and ``day``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.reports.model import OPEN_GROUPS, Report

_display = {"zone": ZoneInfo("Europe/Berlin")}


def use_timezone(name: str) -> None:
    """Show times in ``[distribution] timezone`` (set once per process by the runtime)."""
    _display["zone"] = ZoneInfo(name)


def display_zone() -> ZoneInfo:
    """The time zone people read times in: ``[distribution] timezone``."""
    return _display["zone"]


def money(value: int | float | Decimal | None, language: str = "de") -> str:
    if value is None:
        return "–"
    amount = Decimal(value)
    digits = 0 if amount == amount.to_integral_value() else 2
    text = f"{amount:,.{digits}f}"
    if language == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{text} €"


def day(value: date | datetime | str | None, language: str = "de") -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(display_zone()).date()
    return value.strftime("%d.%m.%Y") if language == "de" else value.isoformat()


def pct(value: float | None, *, signed: bool = False) -> str:
    """``0.25`` -> ``25%`` (``+25%`` when signed); None -> ``–``."""
    if value is None:
        return "–"
    return f"{value:+.0%}" if signed else f"{value:.0%}"


def duration(minutes: float | None, language: str) -> str:
    """Minutes below two hours, else hours with one decimal (``5,5 Std.`` in German)."""
    if minutes is None:
        return "–"
    if minutes < 120:
        return t(language, "report.minutes", value=f"{minutes:.0f}")
    hours = f"{minutes / 60:.1f}"
    if language == "de":
        hours = hours.replace(".", ",")
    return t(language, "report.hours", value=hours)


def report_summary(report: Report, language: str) -> list[str]:
    """The head of every pipeline view: totals that add up (open = on offer + with partners +
    waiting; received = open + won + lost + erased)."""
    lines = [
        t(
            language,
            "report.title",
            start=day(report.period.start, language),
            end=day(report.period.end, language),
            total=report.total,
            open=report.open_leads,
        ),
        "  "
        + t(
            language,
            "report.open_line",
            **{group: report.group(group) for group in OPEN_GROUPS},
        ),
        "  "
        + t(
            language,
            "report.closed_line",
            won=report.by_status.get("won", 0),
            lost=report.by_status.get("lost", 0),
            erased=report.by_status.get("erased", 0),
        ),
        "  "
        + t(
            language,
            "report.values",
            revenue=money(report.revenue_eur, language),
            pipeline=money(report.pipeline_eur, language),
        ),
    ]
    if report.cost_eur is not None:
        roi = pct(report.roi, signed=True)
        lines.append(
            "  " + t(language, "report.roi_total", cost=money(report.cost_eur, language), roi=roi)
        )
    return lines


def report_warnings(report: Report, language: str) -> list[str]:
    """What a report warns of, in the reader's language (a campaign cost that names no
    campaign of any lead)."""
    return [t(language, "report.unknown_cost", campaign=c) for c in report.unknown_cost_campaigns]
