"""Signing in to the cockpit with a one-time link, and signing out.

The link (``leadbot cockpit link``, ``/leads cockpit``, ``/cockpit``, ``cockpit``) opens a
page with a button; only pressing it (POST) spends the token, so a chat's link preview
that fetches the URL uses nothing up. The session is a signed cookie
(:mod:`bot.cockpit.session`) for ``/cockpit`` only. Signing out is a button too (POST); it
ends the session on the server, so a copy of the cookie is refused from then on.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from bot.cockpit.links import end_session, redeem, token_hash, usable
from bot.cockpit.session import COOKIE, issue, require_secret, verify
from bot.config import ConfigError
from bot.i18n import t
from bot.web.cockpit_access import (
    PREFIX,
    not_configured_page,
    problem_page,
    refused_page,
    runtime_of,
)
from bot.web.cockpit_pages import html, language

router = APIRouter(prefix=PREFIX, include_in_schema=False)

MAX_FORM_BYTES = 4096
"""The sign-in form sends one token of 43 characters; a larger body is no sign-in."""


def _from_elsewhere(request: Request) -> bool:
    """The browser says this post comes from another site's page (``Sec-Fetch-Site``:
    ``cross-site``, or ``same-site`` — a sibling subdomain, whose posts even carry the
    ``SameSite=Lax`` cookie). The cockpit's own buttons post ``same-origin``; clients that
    send no such header (scripts, old browsers) are not refused."""
    return request.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site")


def _elsewhere_page(lang: str) -> Response:
    """403: a page elsewhere may not sign a browser in (login CSRF) or out."""
    return problem_page(lang, 403, t(lang, "cockpit.from_elsewhere"))


async def _form_body(request: Request) -> bytes | None:
    """The sign-in form's body, or None as soon as it says or shows it is larger than
    :data:`MAX_FORM_BYTES` — not read further: anyone may post here, before any check."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return bytes(body)


@router.get("/login")
async def login_page(request: Request, token: str = "") -> Response:
    """Shows a button that signs in (POST): link previews that fetch the URL use nothing up."""
    settings = runtime_of(request).settings
    lang, _ = language(request, settings.staff.language)
    try:
        require_secret(settings)
    except ConfigError:
        return not_configured_page(lang)
    if not token:
        return refused_page(lang, settings)
    async with runtime_of(request).uow() as uow:
        await uow.read_only()
        if not await usable(uow, token):
            return refused_page(lang, settings, [t(lang, "cockpit.link_invalid")])
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
    runtime = runtime_of(request)
    settings = runtime.settings
    lang, _ = language(request, settings.staff.language)
    try:
        require_secret(settings)
    except ConfigError:
        return not_configured_page(lang)
    if _from_elsewhere(request):
        return _elsewhere_page(lang)
    body = await _form_body(request)
    if body is None:
        text = t(lang, "cockpit.sign_in_too_large", limit=MAX_FORM_BYTES)
        return problem_page(lang, 413, text)
    form = parse_qs(body.decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    async with runtime.uow() as uow:
        actor = await redeem(uow, token)
    if actor is None:
        return refused_page(lang, settings, [t(lang, "cockpit.link_invalid")])
    value, seconds = issue(settings, actor, token_hash(token), runtime.clock.now())
    response = RedirectResponse(PREFIX, status_code=303)
    response.set_cookie(
        COOKIE,
        value,
        max_age=seconds,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=settings.server.base_url().startswith("https://"),
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """*Sign out*: a button that posts (a ``GET`` could be sent by any page — an image, a
    link — and sign staff out). Only a request that carries a valid session ends it: the
    browser leaves the ``SameSite=Lax`` cookie out of another site's post, so such a post
    changes nothing."""
    runtime = runtime_of(request)
    settings = runtime.settings
    if _from_elsewhere(request):
        return _elsewhere_page(language(request, settings.staff.language)[0])
    response = RedirectResponse(PREFIX, status_code=303)
    try:
        require_secret(settings)
    except ConfigError:
        return response
    session = verify(settings, request.cookies.get(COOKIE), runtime.clock.now())
    if session is not None:
        async with runtime.uow() as uow:
            await end_session(uow, session.sign_in)  # for every copy of the cookie
        response.delete_cookie(
            COOKIE,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=settings.server.base_url().startswith("https://"),
        )
    return response
