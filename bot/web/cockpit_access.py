"""Whether a request may see a cockpit page, and the pages the cockpit answers instead.

Every cockpit page first asks :func:`open_page`: the signing secret must be set (else
503, what to set), the signed session cookie valid and its session not ended (else 401,
how to get a one-time link), the ``?from=``/``?to=`` range readable (else 400). Errors are pages too — an
unknown address (404/405) and a database that does not answer (503) — in the reader's
language, titled with what went wrong, so a person never sees the API's line of JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.cockpit.links import session_live
from bot.cockpit.session import COOKIE, MIN_SECRET, SECRET_ENV, require_secret, verify
from bot.config import ConfigError, Settings
from bot.i18n import t
from bot.reports.period import PeriodError, parse_period
from bot.runtime import Runtime
from bot.schema import SchemaCheck
from bot.web.cockpit_pages import PageContext, html, language

PREFIX = "/cockpit"
"""Where the cockpit lives: every route of it, its cookies' path, its own error pages."""


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _how(lang: str) -> list[str]:
    return [t(lang, f"cockpit.how_{where}") for where in ("cli", "slack", "telegram", "console")]


def refused_page(lang: str, settings: Settings, lines: list[str] | None = None) -> Response:
    """401: not signed in (or the link was spent); how to get a one-time link."""
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


def not_configured_page(lang: str) -> Response:
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


LOST = frozenset({400, 404, 405})
"""Error pages of a reader who got lost (a bad address or range): a link back to the overview."""


def problem_page(lang: str, status: int, text: str, retry: Retry | None = None) -> Response:
    """An error page: what went wrong (``cockpit.error_<status>``) as its heading and the
    browser's title, so both are in the reader's language; the particulars below — and
    with ``retry``, the date form again, its bad field focused and described by them."""
    heading = t(lang, f"cockpit.error_{status}")
    return html("message.j2", status=status, lang=lang, heading=heading, lines=[text], how=[],
                form_token="", home=status in LOST, retry=retry)  # fmt: skip


FORM_PAGES = frozenset({PREFIX, f"{PREFIX}/campaigns", f"{PREFIX}/partners", f"{PREFIX}/leads"})
"""The pages with a date form: a bad range there is shown with the form to correct it."""


@dataclass(frozen=True)
class Retry:
    """The date form on a 400 page: where it sends, the days as typed, the bad fields (the
    first gets the focus: ``autofocus`` — the pages run no script), the page's other
    filters kept as they were."""

    action: str
    given: dict[str, str]
    invalid: tuple[str, ...]
    extra: dict[str, str]


def _retry(request: Request, exc: PeriodError) -> Retry | None:
    if request.url.path not in FORM_PAGES:
        return None  # a download or a lead's page: nothing to type there
    query = request.query_params
    given = {name: query.get(name, "") for name in ("from", "to")}
    extra = {k: v for k, v in query.items() if k not in ("from", "to", "lang", "page")}
    return Retry(request.url.path, given, tuple(exc.fields), extra)


def _in_cockpit(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


async def _no_such_page(request: Request, exc: Exception) -> Response:
    """An address under ``/cockpit`` that no route takes (404) or not with this method (405):
    the cockpit's own page in the reader's language, not the API's ``{"detail": …}``."""
    if not isinstance(exc, StarletteHTTPException):  # installed for that class only
        raise exc
    if exc.status_code not in (404, 405) or not _in_cockpit(request.url.path):
        return await http_exception_handler(request, exc)  # FastAPI's own answer
    lang, _ = language(request, runtime_of(request).settings.staff.language)
    text = t(lang, "cockpit.no_page" if exc.status_code == 404 else "cockpit.no_method")
    response = problem_page(lang, exc.status_code, text)
    response.headers.update(exc.headers or {})  # a 405's Allow
    return response


def install(app: FastAPI) -> None:
    """Answer unknown cockpit addresses with a cockpit page (every other path as before)."""
    app.add_exception_handler(StarletteHTTPException, _no_such_page)


def outage_page(request: Request, schema: SchemaCheck | None = None) -> Response:
    """The database is not answering, or (``schema``) is behind this code
    (:mod:`bot.web.unavailable` sends 503 with it): a cockpit page in the reader's
    language instead of the API's line of JSON. Staff may be the ones who run leadbot:
    the page names both revisions and ``leadbot migrate``."""
    lang, _ = language(request, runtime_of(request).settings.staff.language)
    if schema is None:
        return problem_page(lang, 503, t(lang, "cockpit.database_down"))
    text = t(lang, "cockpit.database_behind", found=schema.found, needed=schema.needed)
    return problem_page(lang, 503, text)


async def _live(runtime: Runtime, sign_in: str) -> bool:
    """The session was not ended (signed out elsewhere, or by ``end-sessions``)."""
    async with runtime.uow() as uow:
        await uow.read_only()
        return await session_live(uow, sign_in)


async def open_page(request: Request) -> PageContext | Response:
    """The signed-in page context, or the page that explains why not (503/401/400)."""
    runtime = runtime_of(request)
    settings = runtime.settings
    lang, remember = language(request, settings.staff.language)
    try:
        require_secret(settings)
    except ConfigError:
        return not_configured_page(lang)
    session = verify(settings, request.cookies.get(COOKIE), runtime.clock.now())
    if session is None or not await _live(runtime, session.sign_in):
        return refused_page(lang, settings)
    try:
        period = parse_period(
            request.query_params.get("from"),
            request.query_params.get("to"),
            now=runtime.clock.now(),
            timezone=settings.distribution.timezone,
            default_days=settings.cockpit.default_days,
        )
    except PeriodError as exc:
        return problem_page(lang, 400, exc.said(lang), _retry(request, exc))
    here = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    secure = settings.server.base_url().startswith("https://")
    return PageContext(lang, period, session.actor, remember, here, secure)
