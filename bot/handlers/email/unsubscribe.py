"""``GET``/``HEAD``/``POST /email/unsubscribe?t=…``: a lead inbox stops its teaser mails.

Every teaser mail names this address in ``List-Unsubscribe`` and in its footer; the token
is signed like every e-mail link (:mod:`~bot.handlers.email.links`, purpose
``unsubscribe``), names the partner and a digest of the inbox, and never expires.

* ``POST`` stops (RFC 8058 one-click: the mail provider posts
  ``List-Unsubscribe=One-Click`` to the URL, with no cookie and no form of ours — so the
  signed token is the whole authority, as it is for the other links). Idempotent: a second
  ``POST`` changes nothing and staff are told once
  (:func:`bot.directory.email_teasers.stop_by_link`).
* ``GET`` and ``HEAD`` (a person clicking the footer link, or a mail scanner fetching it)
  never stop anything: they show a page with one button that posts the token back, with
  the headers of every ``/email/act`` page.

Refusals change nothing: an incomplete token 400, a forged one 403, another kind of link
400, an unknown partner 404, an address the partner no longer has 410.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.directory.email_teasers import stop_by_link
from bot.handlers.email.act import browser_language, read_limited
from bot.handlers.email.form import MAX_FORM_BYTES, FormError, parse_body
from bot.handlers.email.links import (
    UNSUBSCRIBE_PATH,
    LinkError,
    LinkProblem,
    Purpose,
    address_digest,
    verify,
)
from bot.handlers.email.pages import Form, form_page, message_page
from bot.handlers.email.targets import Refusal
from bot.i18n import t
from bot.models import Partner
from bot.runtime import Runtime

_LINK_STATUS = {LinkProblem.MALFORMED: 400, LinkProblem.FORGED: 403, LinkProblem.EXPIRED: 410}
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Inbox:
    """The partner and its current lead inbox, which the link was mailed to."""

    partner: Partner

    @property
    def language(self) -> str:
        return self.partner.language

    @property
    def params(self) -> dict[str, str]:
        return {"partner": self.partner.name, "address": self.partner.email or ""}


class Unsubscribe:
    """The handlers around one runtime and the link secret."""

    def __init__(self, runtime: Runtime, secret: str) -> None:
        self.runtime = runtime
        self.secret = secret

    async def inbox(self, request: Request, token: str) -> Inbox:
        """The inbox the token stands for, checked against the database; else Refusal."""
        lang = browser_language(request)
        try:
            link = verify(token, self.secret, self.runtime.clock.now())
        except LinkError as exc:
            key = f"email.page.{exc.problem.value}"
            raise Refusal(key, _LINK_STATUS[exc.problem], lang) from None
        if link.purpose is not Purpose.UNSUBSCRIBE:
            raise Refusal("email.page.wrong_page", 400, lang)
        async with self.runtime.uow() as uow:
            partner = await uow.session.get(Partner, link.party)
        if partner is None:
            raise Refusal("email.page.partner_gone", 404, lang)
        if not partner.email or address_digest(partner.email) != link.action:
            params = {"partner": partner.name}
            raise Refusal("email.page.unsubscribe_stale", 410, partner.language, params)
        return Inbox(partner)

    async def show(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("t", "")
        try:
            inbox = await self.inbox(request, token)
        except Refusal as refusal:
            return _refused(refusal)
        lang = inbox.language
        if inbox.partner.email_teasers_stopped_at is not None:
            return message_page(lang, "email.page.unsubscribed", inbox.params, ok=True, status=200)
        form = Form(
            token=token,
            button=t(lang, "email.page.unsubscribe_button"),
            lines=(t(lang, "email.page.unsubscribe_explain", **inbox.params),),
        )
        return form_page(lang, t(lang, "email.page.unsubscribe_title"), form)

    async def submit(self, request: Request) -> HTMLResponse:
        lang = browser_language(request)
        body = await read_limited(request, MAX_FORM_BYTES)
        if body is None:
            return message_page(lang, "email.page.malformed", ok=False, status=413)
        token = request.query_params.get("t", "")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == _FORM:  # the page's button; a one-click POST may name no token
            try:
                posted = parse_body(body).get("t", "")
            except FormError as exc:
                return message_page(lang, exc.key, ok=False, status=400)
            if posted and token and posted != token:
                return message_page(lang, "email.page.two_links", ok=False, status=400)
            token = token or posted
        try:
            inbox = await self.inbox(request, token)
        except Refusal as refusal:
            return _refused(refusal)
        async with self.runtime.uow() as uow:
            stopped = await stop_by_link(uow, inbox.partner)
        if not stopped and not await self._stopped(inbox.partner.id):
            # The address changed between the check and the stop (an import meanwhile).
            params = {"partner": inbox.partner.name}
            return message_page(
                inbox.language, "email.page.unsubscribe_stale", params, ok=False, status=410
            )
        return message_page(
            inbox.language, "email.page.unsubscribed", inbox.params, ok=True, status=200
        )

    async def _stopped(self, partner_id: str) -> bool:
        async with self.runtime.uow() as uow:
            partner = await uow.session.get(Partner, partner_id)
        return partner is not None and partner.email_teasers_stopped_at is not None


def _refused(refusal: Refusal) -> HTMLResponse:
    return message_page(
        refusal.language, refusal.key, refusal.params, ok=False, status=refusal.status
    )


def unsubscribe_router(runtime: Runtime, secret: str) -> APIRouter:
    """The routes for ``/email/unsubscribe`` (added to ``leadbot serve`` by ``app``)."""
    handlers = Unsubscribe(runtime, secret)
    router = APIRouter()
    router.add_api_route(
        UNSUBSCRIBE_PATH, handlers.show, methods=["GET", "HEAD"], include_in_schema=False
    )
    router.add_api_route(
        UNSUBSCRIBE_PATH, handlers.submit, methods=["POST"], include_in_schema=False
    )
    return router
