"""The staff cockpit at ``/cockpit``: overview, campaigns, partners, leads, one lead.

Every page takes ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` and every table has a CSV download
(``/cockpit/csv/<table>`` with the same range). Pages need the signed session cookie a
one-time link sets (:mod:`bot.cockpit.links`); without it they answer 401 with a page
that says how to get a link. Figures come from :func:`bot.reports.pipeline.pipeline` —
the same as ``leadbot report`` — and charts are SVG drawn on the server. Errors (a bad
date or filter, an unknown lead, table or address) are pages too, in the reader's
language, titled with what went wrong.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.cockpit import charts
from bot.cockpit.leads import (
    LEAD_HEADER,
    PAGE_SIZE,
    FilterError,
    LeadFilter,
    lead_page,
    lead_rows,
    whole_number,
)
from bot.cockpit.links import redeem
from bot.cockpit.session import COOKIE, MIN_SECRET, SECRET_ENV, issue, require_secret, verify
from bot.config import ConfigError, Settings
from bot.i18n import t
from bot.models import LeadStatus
from bot.plaintext import quoted
from bot.reports.export import HEADERS, TABLES, table_csv
from bot.reports.format import duration, money, pct, report_summary
from bot.reports.model import OPEN_GROUPS, Report
from bot.reports.period import PeriodError, parse_period
from bot.reports.pipeline import pipeline
from bot.runtime import Runtime
from bot.web.cockpit_pages import PageContext, html, language, trusted_svg

router = APIRouter(prefix="/cockpit", include_in_schema=False)


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _how(lang: str) -> list[str]:
    return [t(lang, f"cockpit.how_{where}") for where in ("cli", "slack", "telegram", "console")]


def _refused(lang: str, settings: Settings, lines: list[str] | None = None) -> Response:
    minutes = f"{settings.cockpit.link_minutes:g}"
    return html(
        "message.j2",
        status=401,
        lang=lang,
        heading=t(lang, "cockpit.unauthorized_title"),
        lines=lines or [t(lang, "cockpit.unauthorized", minutes=minutes)],
        how=_how(lang),
        form_token="",
    )


def _not_configured(lang: str) -> Response:
    """503 while the signing secret is missing: what to set, in the reader's language (the
    log and ``leadbot cockpit link`` say it in English, from :func:`require_secret`)."""
    return html(
        "message.j2",
        status=503,
        lang=lang,
        heading=t(lang, "cockpit.not_configured_title"),
        lines=[t(lang, "cockpit.not_configured", minimum=MIN_SECRET, variable=SECRET_ENV)],
        how=[],
        form_token="",
    )


def _problem(lang: str, status: int, text: str) -> Response:
    """An error page: what went wrong (``cockpit.error_<status>``) as its heading and the
    browser's title, so both are in the reader's language; the particulars below."""
    heading = t(lang, f"cockpit.error_{status}")
    return html("message.j2", status=status, lang=lang, heading=heading, lines=[text], how=[],
                form_token="")  # fmt: skip


def _in_cockpit(path: str) -> bool:
    return path == router.prefix or path.startswith(router.prefix + "/")


async def _no_such_page(request: Request, exc: Exception) -> Response:
    """An address under ``/cockpit`` that no route takes (404) or not with this method (405):
    the cockpit's own page in the reader's language, not the API's ``{"detail": …}``."""
    if not isinstance(exc, StarletteHTTPException):  # installed for that class only
        raise exc
    if exc.status_code not in (404, 405) or not _in_cockpit(request.url.path):
        return await http_exception_handler(request, exc)  # FastAPI's own answer
    lang, _ = language(request, _runtime(request).settings.staff.language)
    text = t(lang, "cockpit.no_page" if exc.status_code == 404 else "cockpit.no_method")
    response = _problem(lang, exc.status_code, text)
    response.headers.update(exc.headers or {})  # a 405's Allow
    return response


def install(app: FastAPI) -> None:
    """Answer unknown cockpit addresses with a cockpit page (every other path as before)."""
    app.add_exception_handler(StarletteHTTPException, _no_such_page)


def outage_page(request: Request) -> Response:
    """The database is not answering (:mod:`bot.web.unavailable` sends 503 with it): a
    cockpit page in the reader's language instead of the API's line of JSON."""
    lang, _ = language(request, _runtime(request).settings.staff.language)
    return _problem(lang, 503, t(lang, "cockpit.database_down"))


async def _open(request: Request) -> PageContext | Response:
    """The signed-in page context, or the page that explains why not (503/401/400)."""
    runtime = _runtime(request)
    settings = runtime.settings
    lang, remember = language(request, settings.staff.language)
    try:
        require_secret(settings)
    except ConfigError:
        return _not_configured(lang)
    session = verify(settings, request.cookies.get(COOKIE), runtime.clock.now())
    if session is None:
        return _refused(lang, settings)
    try:
        period = parse_period(
            request.query_params.get("from"),
            request.query_params.get("to"),
            now=runtime.clock.now(),
            timezone=settings.distribution.timezone,
            default_days=settings.cockpit.default_days,
        )
    except PeriodError as exc:
        return _problem(lang, 400, exc.said(lang))
    return PageContext(lang, period, session.actor, remember)


async def _report(request: Request, ctx: PageContext, *, partners: bool) -> Report:
    async with _runtime(request).uow() as uow:
        return await pipeline(uow, ctx.period, partners=partners)


# --- sign-in -------------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, token: str = "") -> Response:
    """Shows a button that signs in (POST): link previews that fetch the URL use nothing up."""
    settings = _runtime(request).settings
    lang, _ = language(request, settings.staff.language)
    try:
        require_secret(settings)
    except ConfigError:
        return _not_configured(lang)
    if not token:
        return _refused(lang, settings)
    hours = f"{settings.cockpit.session_hours:g}"
    return html(
        "message.j2",
        lang=lang,
        heading=t(lang, "cockpit.title"),
        lines=[t(lang, "cockpit.sign_in_intro", hours=hours)],
        how=[],
        form_token=token,
    )


@router.post("/login")
async def login(request: Request) -> Response:
    runtime = _runtime(request)
    settings = runtime.settings
    lang, _ = language(request, settings.staff.language)
    try:
        require_secret(settings)
    except ConfigError:
        return _not_configured(lang)
    form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    async with runtime.uow() as uow:
        actor = await redeem(uow, token)
    if actor is None:
        return _refused(lang, settings, [t(lang, "cockpit.link_invalid")])
    value, seconds = issue(settings, actor, runtime.clock.now())
    response = RedirectResponse("/cockpit", status_code=303)
    response.set_cookie(
        COOKIE,
        value,
        max_age=seconds,
        path="/cockpit",
        httponly=True,
        samesite="lax",
        secure=settings.server.base_url().startswith("https://"),
    )
    return response


@router.get("/logout")
async def logout() -> Response:
    response = RedirectResponse("/cockpit", status_code=303)
    response.delete_cookie(COOKIE, path="/cockpit")
    return response


# --- pages ---------------------------------------------------------------------------------


def _col(lang: str, key: str) -> str:
    return t(lang, f"report.column.{key}")


@router.get("")
async def overview(request: Request) -> Response:
    ctx = await _open(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    report = await _report(request, ctx, partners=False)
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
        funnel_header=[_col(lang, k) for k in ("stage", "count", "share")],
        funnel_rows=[
            [t(lang, f"report.stage.{stage}"), count, pct(share)]
            for stage, count, share in report.funnel.steps()
        ],
        status_header=[_col(lang, "status"), _col(lang, "leads")],
        status_rows=[
            [t(lang, f"status.{s}"), report.by_status[s]] for s in statuses if s in report.by_status
        ],
        week_header=[_col(lang, k) for k in ("week", "leads", "won", "revenue")],
        week_rows=[
            [w.start.isoformat(), w.leads, w.won, money(w.revenue_eur, lang)] for w in report.weeks
        ],
    )


@router.get("/campaigns")
async def campaigns_page(request: Request) -> Response:
    ctx = await _open(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    report = await _report(request, ctx, partners=False)
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
        header=[_col(lang, k) for k in keys],
        rows=rows,
    )


@router.get("/partners")
async def partners_page(request: Request) -> Response:
    ctx = await _open(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    report = await _report(request, ctx, partners=True)
    chart = await asyncio.to_thread(
        lambda: trusted_svg(charts.svg(charts.partner_chart(report.partners, lang)))
    )
    keys = ("partner", "offers", "claims", "claim_rate", "claim_median", "claim_p90")
    keys += ("contact_median", "contact_p90", "expired", "sla_misses", "recalls", "handbacks")
    keys += ("declines", "won", "lost", "conversion", "revenue", "open_now")
    rows = [
        [
            p.name, p.offers, p.claims, pct(p.claim_rate),
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
        header=[_col(lang, k) for k in keys],
        rows=rows,
    )


def _filter(request: Request) -> LeadFilter:
    q = request.query_params
    return LeadFilter.parse(
        q.get("status", ""), q.get("campaign", ""), q.get("partner", ""), q.get("page", "1")
    )


@router.get("/leads")
async def leads_page(request: Request) -> Response:
    ctx = await _open(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    try:
        wanted = _filter(request)
    except FilterError as exc:
        return _problem(lang, 400, exc.said(lang))
    async with _runtime(request).uow() as uow:
        rows, total = await lead_rows(uow.session, ctx.period, wanted)
        report = await pipeline(uow, ctx.period, partners=False)
    query = (
        ctx.period.query()
        + "&"
        + urlencode(
            {"status": wanted.status, "campaign": wanted.campaign, "partner": wanted.partner}
        )
    )
    options = [("open", t(lang, "cockpit.status_open"))]
    options += [(g, t(lang, f"cockpit.group_{g}")) for g in OPEN_GROUPS]
    options += [(s.value, t(lang, f"status.{s.value}")) for s in LeadStatus]
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
        header=[_lead_col(lang, k) for k in keys],
    )


def _lead_col(lang: str, key: str) -> str:
    if key == "id":
        return "#"
    if key in ("received", "region", "value", "revenue"):
        return t(lang, f"cockpit.{key}")
    return _col(lang, key)


@router.get("/leads/{lead_id}")
async def lead_detail(request: Request, lead_id: str) -> Response:
    ctx = await _open(request)
    if isinstance(ctx, Response):
        return ctx
    lang = ctx.lang
    found = None
    number = whole_number(lead_id, 18)  # anything else is no lead's id: 404, as an unknown one
    if number is not None:
        async with _runtime(request).uow() as uow:
            found = await lead_page(uow.session, number)
    if found is None:
        return _problem(lang, 404, t(lang, "cockpit.not_found", id=lead_id))
    return ctx.render("lead.j2", "leads", t(lang, "cockpit.lead_title", id=lead_id), data=found)


@router.get("/csv/{table}")
async def csv_download(request: Request, table: str) -> Response:
    ctx = await _open(request)
    if isinstance(ctx, Response):
        return ctx
    if table not in (*TABLES, "leads"):
        tables = ", ".join((*TABLES, "leads"))
        return _problem(
            ctx.lang,
            404,
            t(ctx.lang, "cockpit.no_table", table=quoted(table, counted=False), tables=tables),
        )
    if table == "leads":
        try:
            wanted = _filter(request)
        except FilterError as exc:
            return _problem(ctx.lang, 400, exc.said(ctx.lang))
        async with _runtime(request).uow() as uow:
            rows, _total = await lead_rows(uow.session, ctx.period, wanted, everything=True)
        text = table_csv([r.to_json() for r in rows], LEAD_HEADER)
    else:
        report = await _report(request, ctx, partners=table == "partners")
        text = table_csv(TABLES[table](report), HEADERS[table])
    name = f"leadbot-{table}-{ctx.period.start.isoformat()}-{ctx.period.end.isoformat()}.csv"
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
