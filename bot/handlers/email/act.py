"""``GET``/``POST /email/act?t=…``: the one-click links of the e-mail channel.

Mail scanners and link previews open links before people do, so ``GET`` (and ``HEAD``,
the same without a body) never changes anything: it checks the link and shows a page with one button (and, where the action needs
it, a field: the revenue of a won lead, the reason for lost or hand back, a follow-up
date; for a teaser, which of the partner's reps is claiming). Only the ``POST`` of that
form acts: it reads the fields (a mistake shows the form again and keeps the link), uses
the link up (:mod:`~bot.handlers.email.nonces`), then runs the core through
:func:`~bot.handlers.email.perform.perform` and says what happened.

Refusals, each a page in the reader's language that changes nothing: an incomplete token
400, a forged or tampered one 403, an expired one 410, a used one 410, a link for another
partner's offer or lead 403, an offer or lead that is gone 404, one that moved on 409.
An expired status link of the lead's owner offers fresh links by mail instead
(:mod:`~bot.handlers.email.renew`): its page has that one button, and only its ``POST``
sends.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.chat import commands as c
from bot.handlers.email import nonces, renew
from bot.handlers.email.form import (
    DECLINE_FIELDS,
    MAX_FORM_BYTES,
    FormError,
    fields_for,
    parse_body,
    read_decline,
    read_report,
    today,
)
from bot.handlers.email.links import ACT_PATH, LinkError, LinkProblem, Purpose, verify
from bot.handlers.email.pages import Choice, Form, form_page, message_page, reasons
from bot.handlers.email.perform import perform
from bot.handlers.email.targets import ClaimTarget, Refusal, StatusTarget, Target, load
from bot.handlers.text import label, reply_text
from bot.i18n import t
from bot.i18n.accept_language import best_language
from bot.models import Rep
from bot.runtime import Runtime
from bot.schema import SchemaCheck

log = logging.getLogger(__name__)

_LINK_STATUS = {LinkProblem.MALFORMED: 400, LinkProblem.FORGED: 403, LinkProblem.EXPIRED: 410}


def browser_language(request: Request) -> str:
    """Before a link is trusted there is no rep to ask: the browser's best of de/en by
    its ``Accept-Language`` q-values (the cockpit's rule), German when it names neither."""
    accepted = ", ".join(request.headers.getlist("accept-language"))
    return best_language(accepted, prefer="de") or "de"


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past ``limit`` (not read to the end)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _form(target: Target, token: str, values: dict[str, str], error: str | None = None) -> Form:
    lang = target.language
    if isinstance(target, ClaimTarget) and target.link.purpose is Purpose.DECLINE:
        return Form(
            token=token,
            button=t(lang, "decline.button"),
            lines=(target.partner_name,),
            reps=tuple(Choice(str(r.id), r.name) for r in target.reps),
            fields=DECLINE_FIELDS,
            reasons=reasons(lang, DECLINE_FIELDS),
            values=values,
            error=error,
        )
    if isinstance(target, ClaimTarget):
        f = target.facts
        facts = t(
            lang,
            "email.page.claim_facts",
            industry=label(lang, "industry", f.industry),
            region=f.region,
            products=", ".join(f.products) or "–",
        )
        return Form(
            token=token,
            button=t(lang, "email.page.claim_button", lead_id=target.lead_id),
            lines=(target.partner_name, facts),
            reps=tuple(Choice(str(r.id), r.name) for r in target.reps),
            values=values,
            error=error,
        )
    fields = fields_for(target.action)
    action = label(lang, "action", target.action.value)
    return Form(
        token=token,
        button=t(lang, "email.page.confirm", action=action),
        fields=fields,
        reasons=reasons(lang, fields),
        values=values,
        error=error,
    )


def _title(target: Target) -> str:
    lang = target.language
    if isinstance(target, ClaimTarget) and target.link.purpose is Purpose.DECLINE:
        return t(lang, "decline.title")
    if isinstance(target, ClaimTarget):
        return t(lang, "email.page.claim_title", lead_id=target.lead_id)
    action = label(lang, "action", target.action.value)
    return t(lang, "email.page.status_title", lead_id=target.lead_id, action=action)


class Act:
    """The two handlers around one runtime and the link secret."""

    def __init__(self, runtime: Runtime, secret: str) -> None:
        self.runtime = runtime
        self.secret = secret

    async def target(self, request: Request, token: str) -> Target:
        """What the link points at; raises :class:`Refusal`, or
        :class:`~bot.handlers.email.renew.Renewable` for an expired status link whose rep
        still owns the lead."""
        try:
            link = verify(token, self.secret, self.runtime.clock.now())
        except LinkError as exc:
            expired = exc.link
            if expired is not None and expired.purpose is Purpose.STATUS:
                found = await renew.renewal(self.runtime, expired, browser_language(request))
                raise renew.Renewable(found) from None
            key = f"email.page.{exc.problem.value}"
            raise Refusal(key, _LINK_STATUS[exc.problem], browser_language(request)) from None
        if link.purpose is Purpose.UNSUBSCRIBE:  # its page is /email/unsubscribe
            raise Refusal("email.page.wrong_page", 400, browser_language(request))
        return await load(self.runtime, link)

    async def show(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("t", "")
        try:
            target = await self.target(request, token)
        except renew.Renewable as expired:
            return renew.offer_page(expired.renewal, token)  # GET/HEAD never send
        except Refusal as refusal:
            return _refused(refusal)
        return form_page(target.language, _title(target), _form(target, token, {}))

    async def submit(self, request: Request) -> HTMLResponse:
        lang = browser_language(request)
        body = await read_limited(request, MAX_FORM_BYTES)
        if body is None:
            return message_page(lang, "email.page.malformed", ok=False, status=413)
        try:
            values = parse_body(body)
            token = values.pop("t", "") or request.query_params.get("t", "")
            target = await self.target(request, token)
        except FormError as exc:
            return message_page(lang, exc.key, ok=False, status=400)
        except renew.Renewable as expired:
            if values.get(renew.FIELD):
                return await renew.send(self.runtime, expired.renewal)
            return renew.offer_page(expired.renewal, token)  # an action form posted too late
        except Refusal as refusal:
            return _refused(refusal)
        if values.get(renew.FIELD):  # the link is valid after all: it acts only by its form
            return form_page(target.language, _title(target), _form(target, token, {}))
        try:
            rep, command = self._read(target, values)
        except FormError as exc:
            error = reply_text(
                target.language, exc.key, {"message": exc.detail or "", **exc.params}
            )
            return form_page(
                target.language, _title(target), _form(target, token, values, error), 422
            )
        return await self._act(target, rep, command)

    def _read(self, target: Target, values: dict[str, str]) -> tuple[Rep, c.Command]:
        """Who acts and the command the form asks for; raises :class:`FormError`."""
        if isinstance(target, ClaimTarget):
            rep = target.rep(values.get("rep", ""))
            if rep is None:
                raise FormError("email.page.pick_rep")
            if target.link.purpose is Purpose.DECLINE:
                reason, note = read_decline(values)
                return rep, c.Decline(target.offer_id, reason, note)
            return rep, c.Claim(target.offer_id)
        assert isinstance(target, StatusTarget)
        report = read_report(target.action, values, today(self.runtime))
        return target.rep, c.Progress(target.lead_id, report)

    async def _act(self, target: Target, rep: Rep, command: c.Command) -> HTMLResponse:
        link = target.link
        lang = rep.language if rep.language in ("de", "en") else target.language
        if not await nonces.use(self.runtime, link):
            return message_page(lang, "email.page.used", ok=False, status=410)
        try:
            reply = await perform(self.runtime, rep, command)
        except Exception:
            log.exception("email: the action of a one-click link failed; the link stays usable")
            await nonces.release(self.runtime, link)
            return message_page(lang, "email.page.failed", ok=False, status=500)
        key = "email.page.claim_won" if reply.key == "claim.won" else reply.key
        return message_page(lang, key, reply.params, ok=reply.ok, status=200 if reply.ok else 409)


def _refused(refusal: Refusal) -> HTMLResponse:
    return message_page(
        refusal.language, refusal.key, refusal.params, ok=False, status=refusal.status
    )


def outage_page(request: Request, schema: SchemaCheck | None = None) -> HTMLResponse:
    """The database is not answering, or (``schema``) is behind this code
    (:mod:`bot.web.unavailable` sends 503 with it): the link page says so in the
    browser's language, instead of a line of JSON. A partner cannot migrate anything:
    the page says the operator must, without revision numbers."""
    key = "email.page.database_down" if schema is None else "email.page.database_behind"
    return message_page(browser_language(request), key, ok=False, status=503)


def act_router(runtime: Runtime, secret: str) -> APIRouter:
    """The routes for ``/email/act`` (added to ``leadbot serve`` by ``app.contribute``)."""
    act = Act(runtime, secret)
    router = APIRouter()
    # HEAD as GET (the server sends no body): mail scanners and link previews ask with it,
    # and like GET it only reads — its status says what the page would.
    router.add_api_route(ACT_PATH, act.show, methods=["GET", "HEAD"], include_in_schema=False)
    router.add_api_route(ACT_PATH, act.submit, methods=["POST"], include_in_schema=False)
    return router
