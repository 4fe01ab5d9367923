"""A report as JSON and as CSV tables — one shape for ``leadbot report --format json|csv``
and the cockpit's downloads, so a spreadsheet and a script see the same numbers.

Keys are stable English names (money keys end in ``_eur``); ratios are fractions
(0.25 = 25 %), times are minutes. Empty values are ``null`` (JSON) or empty cells (CSV).

Money is euros rounded to the cent, kept exact (:class:`~decimal.Decimal`) up to the
output: in CSV a decimal with two places, a dot and no thousands separators
(``450000.00``, ``0.00``); in JSON always a number (``450000.0``, ``12500.5``; JSON
numbers keep no trailing zeros), never a string — as the CRM API's ``revenue_eur``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.plaintext import strip_control
from bot.reports.model import OPEN_GROUPS, CampaignRow, PartnerRow, Report, WeekRow

CENT = Decimal("0.01")


def euros(value: Decimal | int | None) -> Decimal | None:
    """Euros to the cent, exact: a float only when written as JSON (:func:`plain`)."""
    return None if value is None else Decimal(value).quantize(CENT)


def plain(value: Any) -> Any:
    """``value`` with its money as JSON numbers (Decimal → float), for ``json.dumps``."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def campaign_json(row: CampaignRow) -> dict[str, Any]:
    return {
        "campaign": row.campaign,
        "leads": row.leads,
        "offered": row.offered,
        "claimed": row.claimed,
        "contacted": row.contacted,
        "won": row.won,
        "lost": row.lost,
        "conversion": _ratio(row.conversion),
        "revenue_eur": euros(row.revenue_eur),
        "pipeline_eur": euros(row.pipeline_eur),
        "cost_eur": euros(row.cost_eur),
        "roi": _ratio(row.roi),
        "cost_per_lead_eur": euros(row.cost_per_lead),
    }


def partner_json(row: PartnerRow) -> dict[str, Any]:
    return {
        "partner_id": row.partner_id,
        "name": row.name,
        "offers": row.offers,
        "claims": row.claims,
        "claim_rate": _ratio(row.claim_rate),
        "claim_median_minutes": row.claim_median_minutes,
        "claim_p90_minutes": row.claim_p90_minutes,
        "contact_median_minutes": row.contact_median_minutes,
        "contact_p90_minutes": row.contact_p90_minutes,
        "expired": row.expired,
        "sla_misses": row.sla_misses,
        "recalls": row.recalls,
        "handbacks": row.handbacks,
        "declines": row.declines,
        "won": row.won,
        "lost": row.lost,
        "conversion": _ratio(row.conversion),
        "revenue_eur": euros(row.revenue_eur),
        "open_now": row.open_now,
    }


def week_json(row: WeekRow) -> dict[str, Any]:
    return {
        "week": row.start.isoformat(),
        "leads": row.leads,
        "won": row.won,
        "revenue_eur": euros(row.revenue_eur),
    }


def report_json(report: Report) -> dict[str, Any]:
    """The whole report as JSON data: money as numbers (see the module's docstring)."""
    return plain(_report_data(report))


def _report_data(report: Report) -> dict[str, Any]:
    funnel = report.funnel
    return {
        "period": {
            "from": report.period.start.isoformat(),
            "to": report.period.end.isoformat(),
            "timezone": report.period.timezone,
        },
        "generated_at": report.generated_at.isoformat(),
        "funnel": {
            "leads": funnel.leads,
            "offered": funnel.offered,
            "claimed": funnel.claimed,
            "contacted": funnel.contacted,
            "won": funnel.won,
            "lost": funnel.lost,
            "conversion": _ratio(funnel.conversion),
        },
        "status": dict(sorted(report.by_status.items())),
        "open": {"total": report.open_leads, **{g: report.group(g) for g in OPEN_GROUPS}},
        "revenue_eur": euros(report.revenue_eur),
        "pipeline_eur": euros(report.pipeline_eur),
        "cost_eur": euros(report.cost_eur),
        "roi": _ratio(report.roi),
        "campaigns": [campaign_json(c) for c in report.campaigns],
        "partners": [partner_json(p) for p in report.partners],
        "weeks": [week_json(w) for w in report.weeks],
        "warnings": list(report.warnings),
    }


def _funnel_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {"stage": stage, "count": count, "share": _ratio(share)}
        for stage, count, share in report.funnel.steps()
    ]


def _status_rows(report: Report) -> list[dict[str, Any]]:
    return [{"status": s, "leads": n} for s, n in sorted(report.by_status.items())]


TABLES: dict[str, Callable[[Report], list[dict[str, Any]]]] = {
    "funnel": _funnel_rows,
    "status": _status_rows,
    "campaigns": lambda r: [campaign_json(c) for c in r.campaigns],
    "partners": lambda r: [partner_json(p) for p in r.partners],
    "weeks": lambda r: [week_json(w) for w in r.weeks],
}
HEADERS: dict[str, list[str]] = {
    "funnel": ["stage", "count", "share"],
    "status": ["status", "leads"],
    "campaigns": list(campaign_json(CampaignRow(None))),
    "partners": list(partner_json(PartnerRow("", ""))),
    "weeks": ["week", "leads", "won", "revenue_eur"],
}


@dataclass(frozen=True)
class CsvFlavour:
    """How a CSV file is written: the delimiter, the decimal mark, a byte-order mark."""

    delimiter: str
    decimal: str
    bom: bool


FOR_SCRIPTS = CsvFlavour(",", ".", bom=False)
"""The one format of ``leadbot report`` and the cockpit's CSV links: the same in every
locale (docs/cockpit.md)."""
FOR_GERMAN_EXCEL = CsvFlavour(";", ",", bom=True)
"""What a German Excel opens right by a double-click: ``;`` between cells, decimal
commas, UTF-8 with a byte-order mark (without one it reads Windows-1252). The cockpit's
*Excel* links; the same keys and rows as :data:`FOR_SCRIPTS`."""


def _cell(value: Any, decimal: str = ".") -> str:
    """One CSV cell. Text loses its control characters, as on the cockpit's pages (a stored
    direction override would turn a name around in the spreadsheet too) — before the
    formula check, so an override cannot hide a leading ``=`` from it. Numbers get
    ``decimal`` as their mark; text is never touched."""
    if value is None:
        return ""
    if isinstance(value, Decimal):  # money: two places, no separators
        return f"{value.quantize(CENT):f}".replace(".", decimal)
    if isinstance(value, float):  # ratios
        return str(value).replace(".", decimal)
    text = strip_control(value) if isinstance(value, str) else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: keep names inert.
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def table_csv(
    rows: list[dict[str, Any]], header: list[str], flavour: CsvFlavour = FOR_SCRIPTS
) -> str:
    out = io.StringIO()
    if flavour.bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=flavour.delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(key), flavour.decimal) for key in header])
    return out.getvalue()


def report_csv(report: Report, table: str) -> str:
    """One of :data:`TABLES` as CSV text with a header row."""
    return table_csv(TABLES[table](report), HEADERS[table])
