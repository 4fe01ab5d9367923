"""Rendering the cockpit's HTML: the Jinja2 environment, headers, and the common context.

Templates live in ``templates/cockpit/``; autoescaping is on for every value, which first
loses its control characters (:func:`shown`); charts are inserted as trusted SVG (drawn by
:mod:`bot.cockpit.charts`, which strips their labels). Every response forbids
scripts, fonts and frames from anywhere with a Content-Security-Policy — the pages need
none — and pages with personal data are never cached. The page language is
:func:`language`'s: ``?lang=``, the cookie, ``Accept-Language``, ``[staff] language``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.cockpit import timeline
from bot.cockpit.links import person_of
from bot.i18n import LANGUAGES, t
from bot.i18n.accept_language import best_language
from bot.plaintext import strip_control
from bot.reports.format import day, duration, money, pct, report_warnings
from bot.reports.period import Period

TEMPLATES = Path(__file__).resolve().parent / "templates" / "cockpit"
LANG_COOKIE = "leadbot_lang"
NAV = (
    ("overview", "/cockpit"),
    ("campaigns", "/cockpit/campaigns"),
    ("partners", "/cockpit/partners"),
    ("leads", "/cockpit/leads"),
)
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    # The language comes from the cookie or Accept-Language (see language()), the data
    # from the session cookie: say so, for any cache that would keep a page despite no-store.
    "Vary": "Accept-Language, Cookie",
}


def _label(language: str, group: str, value: str | None) -> str:
    if not value:
        return "–"
    key = f"{group}.{value}"
    text = t(language, key)
    return value if text == key else text


def shown(value: Any) -> Any:
    """A value as a template prints it, without control characters (Jinja2's ``finalize``,
    applied before autoescaping).

    Text stored before the input rules got stricter can hold a direction override
    (``"Good\u202eliveE"`` reads "GoodEvil"); the chat renderers strip it, so the cockpit
    does too — for every value, also one a sentence of the catalogue took in (``who``).
    HTML we made (:class:`~markupsafe.Markup`: a chart, a macro's output) is left as is.
    """
    if hasattr(value, "__html__"):
        return value
    return strip_control(value if isinstance(value, str) else str(value))


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=shown,
)
ENV.globals.update(
    t=t,
    money=money,
    day=day,
    pct=pct,
    duration=duration,
    label=_label,
    event_who=timeline.who,
    moment=timeline.moment,
    event_what=timeline.what,
    event_via=timeline.via,
    event_details=timeline.details,
    report_warnings=report_warnings,
    person_of=person_of,
)


def language(request: Request, default: str) -> tuple[str, bool]:
    """The page language and whether ``?lang=`` asked for it (then it is remembered in a
    cookie): ``?lang=`` beats the cookie beats the browser's ``Accept-Language`` beats
    ``default`` (``[staff] language``). Every cockpit page — sign-in, refusals and error
    pages too — is in the language this picks."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked, True
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in LANGUAGES:
        return cookie, False
    accepted = ", ".join(request.headers.getlist("accept-language"))  # several lines: one list
    return best_language(accepted, prefer=default) or default, False


@dataclass
class PageContext:
    """What every page template gets: language, range, who is signed in, the navigation."""

    lang: str
    period: Period
    who: str
    remember_lang: bool = False
    here: str = ""
    """The page's own query without ``lang``: the header's language link adds only that, so
    a filtered lead list (status, campaign, partner, page) stays as it is in the other
    language — a link with just the date range used to drop the filter."""
    secure: bool = False  # served as https (``public_url``): cookies only over https

    def render(self, template: str, page: str, heading: str, **values: Any) -> HTMLResponse:
        return html(
            template,
            lang=self.lang,
            remember_lang=self.remember_lang,
            secure=self.secure,
            period=self.period,
            who=self.who,
            page=page,
            heading=heading,
            nav=NAV,
            other_lang="de" if self.lang == "en" else "en",
            here=self.here or self.period.query(),
            **values,
        )


def html(template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("nav", ())
    values.setdefault("period", None)
    body = ENV.get_template(template).render(**values)
    response = HTMLResponse(body, status_code=status, headers=HEADERS)
    if values.get("remember_lang"):  # the session cookie's flags: no script needs it
        response.set_cookie(
            LANG_COOKIE,
            values["lang"],
            max_age=365 * 86400,
            path="/cockpit",
            samesite="lax",
            httponly=True,
            secure=bool(values.get("secure")),
        )
    return response


def trusted_svg(svg: str) -> Markup:
    """Our own chart SVG (labels already escaped by matplotlib) into the page as is."""
    return Markup(svg)  # drawn by us, see bot.cockpit.charts
