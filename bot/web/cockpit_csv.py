"""CSV downloads of every cockpit table: ``/cockpit/csv/<table>`` with the page's range.

The report tables (:data:`bot.reports.export.TABLES`, as ``leadbot report --format csv``
writes them), ``leads`` — the lead list with its filter, every row rather than one
page — and ``timeline?lead=<id>``, one lead's audit trail with the columns its page shows,
in the page's words. An unknown table is a 404 page naming the ones there are, an unknown
lead one saying so. Every cell goes through the reports' CSV writer
(:func:`bot.reports.export.table_csv`): no control characters, formulas made inert. The file is named after
the table and the range, and is never cached. ``?excel=1`` writes the same rows for a
German Excel (:data:`bot.reports.export.FOR_GERMAN_EXCEL`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from bot.cockpit import timeline
from bot.cockpit.leads import LEAD_HEADER, FilterError, LeadRow, lead_page, lead_rows, whole_number
from bot.i18n import t
from bot.models import LeadEvent
from bot.plaintext import quoted, shortened
from bot.reports.export import FOR_GERMAN_EXCEL, FOR_SCRIPTS, HEADERS, TABLES, table_csv
from bot.reports.format import display_zone
from bot.web.cockpit_access import PREFIX, open_page, problem_page, runtime_of
from bot.web.cockpit_leads import lead_filter
from bot.web.cockpit_reports import page_report

router = APIRouter(prefix=PREFIX, include_in_schema=False)

TIMELINE_HEADER = ["when", "what", "who", "via", "partner", "details"]
"""A lead's audit trail: the columns of its page, in the page's order."""
LISTED = (*TABLES, "leads", "timeline")


@router.get("/csv/{table}")
async def csv_download(request: Request, table: str) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    if table not in LISTED:
        tables = ", ".join(LISTED)
        return problem_page(
            ctx.lang,
            404,
            t(ctx.lang, "cockpit.no_table", table=quoted(table, counted=False), tables=tables),
        )
    excel = request.query_params.get("excel") == "1"
    flavour = FOR_GERMAN_EXCEL if excel else FOR_SCRIPTS
    period = f"{ctx.period.start.isoformat()}-{ctx.period.end.isoformat()}"
    if table == "timeline":
        wanted_lead = request.query_params.get("lead", "")
        number = whole_number(wanted_lead, 18)
        found = None
        if number is not None:
            async with runtime_of(request).uow() as uow:
                found = await lead_page(uow.session, number)
        if found is None:
            said = t(ctx.lang, "cockpit.not_found", id=shortened(wanted_lead))
            return problem_page(ctx.lang, 404, said)
        rows = [_event_cells(ctx.lang, event, excel) for event in found.events]
        text = table_csv(rows, TIMELINE_HEADER, flavour)
        period = f"lead-{number}"
    elif table == "leads":
        try:
            wanted = lead_filter(request)
        except FilterError as exc:
            return problem_page(ctx.lang, 400, exc.said(ctx.lang))
        async with runtime_of(request).uow() as uow:
            rows, _total = await lead_rows(uow.session, ctx.period, wanted, everything=True)
        text = table_csv([_lead_cells(r, excel) for r in rows], LEAD_HEADER, flavour)
    else:
        report = await page_report(request, ctx, partners=table == "partners")
        text = table_csv(TABLES[table](report), HEADERS[table], flavour)
    name = f"leadbot-{table}-{period}{'-excel' if excel else ''}.csv"
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


def _event_cells(lang: str, event: LeadEvent, excel: bool) -> dict[str, Any]:
    """One row of the audit trail in the page's words (:mod:`bot.cockpit.timeline`); the
    time as the lead list's ``received``: ISO 8601 in UTC for scripts, local time as Excel
    reads it for Excel."""
    return {
        "when": _time(event.at, excel),
        "what": timeline.what(lang, event),
        "who": timeline.who(lang, event),
        "via": timeline.via(lang, event.channel.value),
        "partner": event.partner_id or "",
        "details": timeline.details(lang, event),
    }


def _time(at: datetime, excel: bool) -> str:
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite keeps no zone
    if excel:
        return at.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M:%S")
    return at.astimezone(UTC).isoformat()


def _lead_cells(row: LeadRow, excel: bool) -> dict[str, Any]:
    """A lead's row; for Excel the time it was received in local time as Excel reads a
    date and time (``2026-03-02 09:00:00``, ``[distribution] timezone``), not ISO 8601
    in UTC with microseconds, which it keeps as text."""
    cells = row.to_json()
    if excel:
        cells["received"] = row.created_at.astimezone(display_zone()).strftime("%Y-%m-%d %H:%M:%S")
    return cells
