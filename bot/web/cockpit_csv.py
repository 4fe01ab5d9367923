"""CSV downloads of every cockpit table: ``/cockpit/csv/<table>`` with the page's range.

The report tables (:data:`bot.reports.export.TABLES`, as ``leadbot report --format csv``
writes them) and ``leads`` — the lead list with its filter, every row rather than one
page. An unknown table is a 404 page naming the ones there are. The file is named after
the table and the range, and is never cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from bot.cockpit.leads import LEAD_HEADER, FilterError, lead_rows
from bot.i18n import t
from bot.plaintext import quoted
from bot.reports.export import HEADERS, TABLES, table_csv
from bot.web.cockpit_access import PREFIX, open_page, problem_page, runtime_of
from bot.web.cockpit_leads import lead_filter
from bot.web.cockpit_reports import page_report

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/csv/{table}")
async def csv_download(request: Request, table: str) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    if table not in (*TABLES, "leads"):
        tables = ", ".join((*TABLES, "leads"))
        return problem_page(
            ctx.lang,
            404,
            t(ctx.lang, "cockpit.no_table", table=quoted(table, counted=False), tables=tables),
        )
    if table == "leads":
        try:
            wanted = lead_filter(request)
        except FilterError as exc:
            return problem_page(ctx.lang, 400, exc.said(ctx.lang))
        async with runtime_of(request).uow() as uow:
            rows, _total = await lead_rows(uow.session, ctx.period, wanted, everything=True)
        text = table_csv([r.to_json() for r in rows], LEAD_HEADER)
    else:
        report = await page_report(request, ctx, partners=table == "partners")
        text = table_csv(TABLES[table](report), HEADERS[table])
    name = f"leadbot-{table}-{ctx.period.start.isoformat()}-{ctx.period.end.isoformat()}.csv"
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
