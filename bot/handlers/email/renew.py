"""Fresh status links for an expired one: a mail-only rep is never left without a way to
report.

A status link lives ``[email] link_days``; a rep who reports nothing for that long has
no working link left, and without a chat nothing else to report from. An expired status
link's page therefore offers one button, "Send me fresh links". Its signature was checked
(:func:`~bot.handlers.email.links.verify` hands the expired link back), so it says
truthfully which rep it was mailed to and which lead it is about. Pressing the button
(a ``POST`` — opening the link never sends anything: mail scanners open links) queues a
reminder notice ``fresh_links`` to that rep on the e-mail platform, through the outbox
like every other mail; the e-mail transport adds fresh status links to reminders
(:mod:`bot.handlers.email.transport`), and the resolver drops the reminder if the lead is
no longer the rep's by the time it is sent.

Only the lead's owner gets links, and only while active: a lead a colleague took over,
that went back to matching or to another partner gets a page saying it is no longer
theirs, and nothing is sent. At most one mail per rep and lead an hour
(:meth:`~bot.coordination.Coordination.first_time`, shared by every process): the answer
page is the same sentence whether a mail was queued or not, and never shows the address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi.responses import HTMLResponse

from bot.delivery.notices import NoticeKind, ToRep
from bot.handlers.email.links import Link
from bot.handlers.email.pages import Form, form_page, message_page
from bot.handlers.email.targets import Refusal
from bot.i18n import t
from bot.leads.status_reports import available_actions
from bot.models import Lead, Platform, Rep
from bot.runtime import Runtime

log = logging.getLogger(__name__)

FIELD = "renew"
"""The hidden form field that asks for fresh links (the link's own action form lacks it)."""

EVERY_SECONDS = 3600
"""At most one fresh-links mail per rep and lead this often."""

EVENT = "fresh_links"
"""The reminder notice's event (``reminder.fresh_links``)."""


@dataclass(frozen=True)
class Renewal:
    """Whose expired link it is, for which lead, in their language."""

    link: Link
    rep_id: int
    lead_id: int
    language: str


class Renewable(Exception):
    """An expired status link whose rep may ask for fresh links (raised instead of the
    "expired" refusal)."""

    def __init__(self, renewal: Renewal) -> None:
        super().__init__("expired, renewable")
        self.renewal = renewal


def _language(value: str | None) -> str:
    return value if value in ("de", "en") else "de"


async def renewal(runtime: Runtime, link: Link, fallback_language: str) -> Renewal:
    """The renewal an expired status link may ask for; :class:`Refusal` when none."""
    async with runtime.uow() as uow:
        rep = await uow.session.get(Rep, int(link.party)) if link.party.isdigit() else None
        lead = await uow.session.get(Lead, link.target)
    language = _language(rep.language) if rep is not None else fallback_language
    if rep is None or lead is None:
        raise Refusal("email.page.gone", 404, language)
    if not rep.active:
        raise Refusal("email.page.inactive", 403, language)
    if lead.owner_rep_id != rep.id:
        # A colleague took it over, it went back to matching, or to another partner.
        raise Refusal("email.page.no_longer_yours", 409, language, {"lead_id": lead.id})
    if not available_actions(lead.status):  # won, lost: nothing left to report
        state = {"lead_id": lead.id, "status": lead.status.value}
        raise Refusal("email.page.not_now", 409, language, state)
    return Renewal(link, rep.id, lead.id, language)


def offer_page(renewal: Renewal, token: str) -> HTMLResponse:
    """The expired link's page: it says so, with one button that posts the same token."""
    lang = renewal.language
    form = Form(
        token=token,
        button=t(lang, "email.page.renew_button"),
        lines=(t(lang, "email.page.renew_explain", lead_id=renewal.lead_id),),
        hidden=((FIELD, "1"),),
        error=t(lang, "email.page.expired"),
    )
    return form_page(lang, t(lang, "email.page.renew_title", lead_id=renewal.lead_id), form, 410)


async def send(runtime: Runtime, renewal: Renewal) -> HTMLResponse:
    """Queue the fresh-links mail unless one went out within the hour; the same page
    either way (it tells nobody whether or where a mail went)."""
    key = f"email:fresh-links:{renewal.rep_id}:{renewal.lead_id}"
    if await runtime.coordination.first_time(key, EVERY_SECONDS):
        async with runtime.uow() as uow:
            await uow.outbox.enqueue(
                ToRep(renewal.rep_id, Platform.EMAIL),
                NoticeKind.REMINDER,
                {"event": EVENT, "params": {}},
                lead_id=renewal.lead_id,
            )
            await uow.commit()
        log.info("email: fresh status links queued for lead %s", renewal.lead_id)
    params = {"lead_id": renewal.lead_id}
    return message_page(renewal.language, "email.page.renew_sent", params, ok=True, status=200)
