"""The outbox's e-mail transport: a notice becomes one multipart mail, sent over SMTP.

Addresses are e-mail addresses: a partner's lead inbox (teasers) or a rep's address
(cards, content, news, reminders — only while no chat reaches the rep). At send time the
transport mints the signed links a mail carries: a teaser's **Claim** link (for the partner
the offer belongs to, valid while the offer can still be claimed, at most ``link_days``),
its unsubscribe link (for that partner and inbox, never expiring; a teaser queued before
the inbox unsubscribed is not sent) and a lead card's status links (for the rep at this address, one per action the card
allows, ``link_days`` long).

Mail cannot be edited, so the outbox's edits are decided here:

* a teaser closed as taken / expired / withdrawn sends nothing (the link in it answers
  "no longer available" when used) and keeps the reference;
* a lead card that changed after it was mailed becomes a short status mail with the next
  links, threaded under the card mail (``In-Reply-To``);
* the card of a rep who left the partner (``owner_left``, bot/directory/departures.py)
  sends nothing: they hear nothing more about the lead, and its links refuse them;
* the card of a rep whose colleague took the lead over (``taken_over``,
  bot/leads/takeover.py) becomes one short mail in its thread naming the colleague — the
  edit mail cannot make — and nothing follows it.

One SMTP connection per message, through ``aiosmtplib``; a modest token bucket per server
(``[email] per_second``, ``burst``) keeps a burst of teasers from tripping its limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib

from bot.config import EmailSettings
from bot.delivery.notices import (
    Delivery,
    LeadCardView,
    MessageRef,
    MessageView,
    NoticeKind,
    NoticeView,
    TeaserView,
)
from bot.delivery.outbox import rep_at_address
from bot.delivery.transports import RateLimit
from bot.handlers.email.links import (
    NEVER,
    UNSUBSCRIBE_PATH,
    Purpose,
    address_digest,
    link_url,
    new_link,
    sign,
)
from bot.handlers.email.mail import build_message, classify, new_message_id
from bot.handlers.email.platform import EMAIL, normalise_address
from bot.handlers.email.render import ActionLink, Links, render_view
from bot.leads.status_reports import available_actions
from bot.mailaddress import smtp_address
from bot.models import Lead, Offer, Partner, Platform
from bot.runtime import Runtime


class EmailTransport:
    platform = Platform.EMAIL

    def __init__(self, runtime: Runtime, link_secret: str) -> None:
        self.runtime = runtime
        self.settings: EmailSettings = runtime.settings.email
        self._secret = link_secret
        self._base = runtime.settings.server.base_url()
        # In the domain's ASCII form, like every recipient: a From on an umlaut domain
        # could not even be written for a server without SMTPUTF8.
        self._sender = smtp_address(self.settings.from_address)

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        if edit:
            return ()  # a closed teaser sends no mail (see deliver)
        s = self.settings
        return [RateLimit(f"email:{s.host}:{s.port}", s.per_second, s.burst, shared=True)]

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        view = delivery.view
        if isinstance(view, TeaserView) and view.closed:
            return delivery.edit  # a sent mail cannot be taken back; its link says "closed"
        if isinstance(view, LeadCardView) and view.event == "owner_left":
            return delivery.edit  # the rep left the partner: no more mail (links refuse them)
        update = isinstance(view, LeadCardView) and delivery.edit is not None
        links = await self._links(delivery.address, view)
        if links is None:
            return None  # a teaser queued before its inbox unsubscribed: not sent
        mail = render_view(view, links, update=update)
        message_id = new_message_id(self._sender)
        message = build_message(
            mail,
            sender=self._sender,
            sender_name=self.settings.from_name,
            to=smtp_address(delivery.address),
            message_id=message_id,
            date=self.runtime.clock.now(),
            in_reply_to=delivery.edit.message_id if update and delivery.edit else None,
            unsubscribe=links.unsubscribe,
        )
        try:
            await self._send(message)
        except Exception as exc:
            raise classify(exc) from exc
        return MessageRef(delivery.address, message_id)

    async def _send(self, message: EmailMessage) -> None:
        s = self.settings
        password = s.password.get_secret_value() if s.password is not None else None
        await aiosmtplib.send(
            message,
            hostname=s.host,
            port=s.port,
            username=s.username or None,
            password=password if s.username else None,
            use_tls=s.tls,
            start_tls=s.starttls,
            timeout=s.timeout_seconds,
        )

    # --- links ------------------------------------------------------------------------------

    def _url(
        self,
        purpose: Purpose,
        target: int,
        party: str,
        expires: datetime,
        action: str | None = None,
    ) -> str:
        token = sign(new_link(purpose, target, party, expires, action), self._secret)
        return link_url(self._base, token)

    async def _links(self, address: str, view: NoticeView) -> Links | None:
        """The links the mail carries; None for a teaser whose inbox no longer takes them."""
        now = self.runtime.clock.now()
        longest = now + timedelta(days=self.settings.link_days)
        if isinstance(view, TeaserView):
            async with self.runtime.uow() as uow:
                offer = await uow.session.get(Offer, view.offer_id)
                partner = await uow.session.get(Partner, offer.partner_id) if offer else None
            if offer is None or partner is None:
                return Links()
            if EMAIL.partner_address(partner) != normalise_address(address):
                return None  # unsubscribed (or moved) since the teaser was queued
            # The teaser's end is already the round's (its wave and the later ones; a
            # staff assignment's own end): the link ends with it.
            expires = min(longest, view.expires_at or longest)
            claim = self._url(Purpose.CLAIM, offer.id, offer.partner_id, expires)
            decline = self._url(Purpose.DECLINE, offer.id, offer.partner_id, expires)
            digest = address_digest(address)
            stop = sign(new_link(Purpose.UNSUBSCRIBE, 0, partner.id, NEVER, digest), self._secret)
            unsubscribe = link_url(self._base, stop, UNSUBSCRIBE_PATH)
            return Links(claim=claim, decline=decline, expires_at=expires, unsubscribe=unsubscribe)
        if isinstance(view, LeadCardView) and view.lead is not None and view.actions:
            return await self._status_links(address, view.lead_id, view.actions, longest)
        if isinstance(view, MessageView) and view.kind is NoticeKind.REMINDER and view.lead_id:
            # A follow-up comes due weeks later, when the card's links have expired, and a
            # rep reached by e-mail has nothing else to report from: fresh links come along.
            async with self.runtime.uow() as uow:
                lead = await uow.session.get(Lead, view.lead_id)
            if lead is None:
                return Links()
            actions = tuple(a.value for a in available_actions(lead.status))
            return await self._status_links(address, lead.id, actions, longest, lead)
        return Links()

    async def _status_links(
        self,
        address: str,
        lead_id: int,
        actions: Sequence[str],
        expires: datetime,
        lead: Lead | None = None,
    ) -> Links:
        """One link per action for the rep at ``address`` (the lead's owner, if ``lead``)."""
        async with self.runtime.uow() as uow:
            rep = await rep_at_address(uow.session, Platform.EMAIL, address)
        if rep is None or not actions:
            return Links()
        if lead is not None and lead.owner_partner_id != rep.partner_id:
            return Links()
        party = str(rep.id)
        return Links(
            actions=tuple(
                ActionLink(action, self._url(Purpose.STATUS, lead_id, party, expires, action))
                for action in actions
            ),
            expires_at=expires,
        )
