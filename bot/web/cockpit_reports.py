"""The cockpit's report pages: overview, campaigns, partners.

Each shows the figures of :func:`bot.reports.pipeline.pipeline` for the page's range —
the same as ``leadbot report`` — as tables with column names in the reader's language,
and charts drawn as SVG on the server (in a thread: matplotlib is slow and blocking).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from bot.cockpit import charts
from bot.i18n import t
from bot.models import LeadStatus
from bot.reports.format import day, duration, money, pct, report_summary
from bot.reports.model import PartnerRow, Report
from bot.reports.pipeline import pipeline
from bot.web.cockpit_access import PREFIX, open_page, runtime_of
from bot.web.cockpit_pages import PageContext, trusted_svg

router = APIRouter(prefix=PREFIX, include_in_schema=False)


async def page_report(request: Request, ctx: PageContext, *, partners: bool) -> Report:
    """The report for the page's range (with the per-partner figures if ``partners``)."""
    async with runtime_of(request).uow() as uow:
        return await pipeline(uow, ctx.period, partners=partners)


def column(lang: str, key: str) -> str:
    """A table's column name, as ``leadbot report`` names it, in the reader's language."""
    return t(lang, f"report.column.{key}")


@router.get("")
async def overview(request: Request) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    report = await page_report(request, ctx, partners=False)
    drawn = await asyncio.to_thread(
        lambda: {
            "funnel": trusted_svg(charts.svg(charts.funnel_chart(report.funnel, lang))),
            "trend": trusted_svg(charts.svg(charts.trend_chart(report.weeks, lang))),
        }
    )
    statuses = [s.value for s in LeadStatus]
    return ctx.render(
        "overview.j2",
        "overview",
        t(lang, "cockpit.overview"),
        report=report,
        charts=drawn,
        summary=report_summary(report, lang)[1:],
        funnel_header=[column(lang, k) for k in ("stage", "count", "share")],
        funnel_rows=[
            [t(lang, f"report.stage.{stage}"), count, pct(share)]
            for stage, count, share in report.funnel.steps()
        ],
        status_header=[column(lang, "status"), column(lang, "leads")],
        status_rows=[
            [t(lang, f"status.{s}"), report.by_status[s]] for s in statuses if s in report.by_status
        ],
        week_header=[column(lang, k) for k in ("week", "leads", "won", "revenue")],
        week_rows=[
            [day(w.start, lang), w.leads, w.won, money(w.revenue_eur, lang)] for w in report.weeks
        ],
    )


@router.get("/campaigns")
async def campaigns_page(request: Request) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    report = await page_report(request, ctx, partners=False)
    chart = await asyncio.to_thread(
        lambda: trusted_svg(charts.svg(charts.campaign_chart(report.campaigns, lang)))
    )
    keys = ("campaign", "leads", "offered", "claimed", "contacted", "won", "lost", "conversion")
    keys += ("revenue", "pipeline", "cost", "cost_per_lead", "roi")
    rows = [
        [
            c.campaign or t(lang, "report.no_campaign"),
            c.leads, c.offered, c.claimed, c.contacted, c.won, c.lost, pct(c.conversion),
            money(c.revenue_eur, lang), money(c.pipeline_eur, lang), money(c.cost_eur, lang),
            money(c.cost_per_lead, lang), pct(c.roi, signed=True),
        ]
        for c in report.campaigns
    ]  # fmt: skip
    return ctx.render(
        "campaigns.j2",
        "campaigns",
        t(lang, "cockpit.campaigns"),
        report=report,
        chart=chart,
        header=[column(lang, k) for k in keys],
        rows=rows,
    )


def _partner_name(row: PartnerRow, lang: str) -> str:
    """The partner's name, marked when it is paused now: its figures stop growing for a
    reason staff should see next to them, not find out in ``explain``."""
    return t(lang, "cockpit.paused_partner", name=row.name) if row.paused else row.name


@router.get("/partners")
async def partners_page(request: Request) -> Response:
    ctx = await open_page(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    report = await page_report(request, ctx, partners=True)
    chart = await asyncio.to_thread(
        lambda: trusted_svg(charts.svg(charts.partner_chart(report.partners, lang)))
    )
    keys = ("partner", "offers", "claims", "claim_rate", "claim_median", "claim_p90")
    keys += ("contact_median", "contact_p90", "expired", "sla_misses", "recalls", "handbacks")
    keys += ("declines", "won", "lost", "conversion", "revenue", "open_now")
    rows = [
        [
            _partner_name(p, lang), p.offers, p.claims, pct(p.claim_rate),
            duration(p.claim_median_minutes, lang), duration(p.claim_p90_minutes, lang),
            duration(p.contact_median_minutes, lang), duration(p.contact_p90_minutes, lang),
            p.expired, p.sla_misses, p.recalls, p.handbacks, p.declines, p.won, p.lost,
            pct(p.conversion), money(p.revenue_eur, lang), p.open_now,
        ]
        for p in report.partners
    ]  # fmt: skip
    return ctx.render(
        "partners.j2",
        "partners",
        t(lang, "cockpit.partners"),
        chart=chart,
        header=[column(lang, k) for k in keys],
        rows=rows,
    )
