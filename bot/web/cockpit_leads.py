"""The cockpit's lead pages: the filtered, paged list and one lead with its timeline.

The list's filter (``?status=&campaign=&partner=&page=``) is read by :func:`lead_filter`,
which the list's CSV download shares; a bad value is a 400 page naming it. A lead id that
is not a whole number is answered like an unknown lead (404), never as a server error.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from bot.cockpit.leads import (
    PAGE_SIZE,
    FilterError,
    LeadFilter,
    lead_page,
    lead_rows,
    partner_names,
    whole_number,
)
from bot.i18n import t
from bot.models import LeadStatus
from bot.plaintext import shortened
from bot.reports.model import OPEN_GROUPS
from bot.reports.pipeline import pipeline
from bot.web.cockpit_access import PREFIX, open_page, problem_page, runtime_of
from bot.web.cockpit_reports import column

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def lead_filter(request: Request) -> LeadFilter:
    """The list's filter from the query; raises FilterError naming a bad value."""
    q = request.query_params
    return LeadFilter.parse(
        q.get("status", ""), q.get("campaign", ""), q.get("partner", ""), q.get("page", "1")
    )


@router.get("/leads")
async def leads_page(request: Request) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    try:
        wanted = lead_filter(request)
    except FilterError as exc:
        return problem_page(lang, 400, exc.said(lang))
    async with runtime_of(request).uow() as uow:
        rows, total = await lead_rows(uow.session, ctx.period, wanted)
        report = await pipeline(uow, ctx.period, partners=False)
        partners = await partner_names(uow.session)
    query = (
        ctx.period.query()
        + "&"
        + urlencode(
            {"status": wanted.status, "campaign": wanted.campaign, "partner": wanted.partner}
        )
    )
    # Two groups in the select: the open leads by who has to act, then every status — the
    # group "on offer" and the status "offered" are the same leads under the same word.
    groups = [("open", t(lang, "cockpit.status_open"))]
    groups += [(g, t(lang, f"cockpit.group_{g}")) for g in OPEN_GROUPS]
    statuses = [(s.value, t(lang, f"status.{s.value}")) for s in LeadStatus]
    options = [(t(lang, "cockpit.open_leads"), groups), (column(lang, "status"), statuses)]
    keys = ("id", "received", "status", "campaign", "partner", "region", "value", "revenue")
    return ctx.render(
        "leads.j2",
        "leads",
        t(lang, "cockpit.leads"),
        rows=rows,
        total=total,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        wanted=wanted,
        query=query,
        status_options=options,
        campaigns=sorted(c.campaign for c in report.campaigns if c.campaign),
        partners=partners,
        header=[_lead_col(lang, k) for k in keys],
    )


def _lead_col(lang: str, key: str) -> str:
    if key == "id":
        return "#"
    if key in ("received", "region", "value", "revenue"):
        return t(lang, f"cockpit.{key}")
    return column(lang, key)


@router.get("/leads/{lead_id}")
async def lead_detail(request: Request, lead_id: str) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    found = None
    number = whole_number(lead_id, 18)  # anything else is no lead's id: 404, as an unknown one
    if number is not None:
        async with runtime_of(request).uow() as uow:
            found = await lead_page(uow.session, number)
    if found is None:
        # Cut as every value quoted back is: a link must not put its own sentence here.
        return problem_page(lang, 404, t(lang, "cockpit.not_found", id=shortened(lead_id)))
    return ctx.render("lead.j2", "leads", t(lang, "cockpit.lead_title", id=number), data=found)
