"""One notice as one MIME message, and what an SMTP failure means for the outbox.

Each delivery is a ``multipart/alternative`` message: the plain-text part first, the HTML
part second (mail clients show the last part they understand). The message carries its own
``Message-ID`` — the reference the outbox remembers, as a chat platform remembers a message
id — and, for a status mail about a lead card, ``In-Reply-To``/``References`` pointing at
the card's mail, so the mail client threads them. ``Auto-Submitted: auto-generated``
(RFC 3834) keeps vacation responders from answering the bot. A teaser to a partner's lead
inbox carries ``List-Unsubscribe`` (its signed unsubscribe link) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), written on one line as
they are (:class:`UnfoldedHeader`).

Failures, as the sender needs them (:class:`~bot.delivery.transports.DeliveryError`):

* every recipient refused with a 5xx (no such mailbox) — permanent: the address in the
  directory must be fixed; the row fails and staff are told;
* the message refused with a 5xx after DATA (too big, rejected content) — permanent;
* an address with letters beyond ASCII before the ``@`` on a server without SMTPUTF8 —
  permanent: retrying cannot make the server take it;
* 4xx answers (greylisting, mailbox full, try later), refused sender or login (a server
  setting the operator will fix), timeouts and network errors — retried with backoff.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime

import aiosmtplib

from bot.delivery.transports import DeliveryError
from bot.handlers.email.render import Mail

MAX_MESSAGE_ID = 64  # fits chat_messages.message_id
FALLBACK_DOMAIN = "leadbot.invalid"
ONE_CLICK = "List-Unsubscribe=One-Click"


class UnfoldedHeader(str):
    """A header value written exactly as given, on one line.

    ``email`` folds a header longer than 78 characters, and a word it cannot break (the
    signed unsubscribe URL is about 250 characters without a space) becomes RFC 2047
    encoded words — ``=?utf-8?q?=3Chttps=3A//…?=`` — which no mail provider reads as a
    URL. A header object (anything with ``name`` and ``fold``) is stored and written as it
    is; SMTP allows 998 characters a line. Only for ASCII values without line breaks."""

    name: str

    def __new__(cls, name: str, value: str) -> UnfoldedHeader:
        if not value.isascii() or "\r" in value or "\n" in value:
            raise ValueError(f"{name}: an unfolded header must be one line of ASCII")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def new_message_id(from_address: str) -> str:
    """``<random@domain-of-the-sender>``, at most 64 characters."""
    domain = from_address.rpartition("@")[2].strip().lower() or FALLBACK_DOMAIN
    message_id = f"<{secrets.token_hex(12)}@{domain}>"
    return (
        message_id
        if len(message_id) <= MAX_MESSAGE_ID
        else f"<{secrets.token_hex(12)}@{FALLBACK_DOMAIN}>"
    )


def build_message(
    mail: Mail,
    *,
    sender: str,
    sender_name: str,
    to: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    unsubscribe: str | None = None,
) -> EmailMessage:
    """The message; ``unsubscribe``: the URL of a teaser's one-click unsubscribe link."""
    message = EmailMessage(policy=SMTP)
    local, _, domain = sender.partition("@")
    message["From"] = Address(display_name=sender_name, username=local, domain=domain)
    message["To"] = to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    if unsubscribe:
        value = f"<{unsubscribe}>"
        # A public_url beyond ASCII (an umlaut domain) cannot be written raw: folded as usual
        # then, rather than failing every teaser.
        unfolded = value.isascii() and not any(c in value for c in "\r\n")
        message["List-Unsubscribe"] = (
            UnfoldedHeader("List-Unsubscribe", value) if unfolded else value
        )
        message["List-Unsubscribe-Post"] = ONE_CLICK
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message


def _short(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def classify(exc: Exception) -> DeliveryError:
    """What the outbox should do about a failed send."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.code} {_short(r.message)}" for r in exc.recipients)
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return DeliveryError(f"recipient refused: {detail}", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        permanent = 500 <= exc.code < 600
        return DeliveryError(
            f"recipient refused: {exc.code} {_short(exc.message)}", permanent=permanent
        )
    if isinstance(exc, aiosmtplib.SMTPDataError):
        permanent = 500 <= exc.code < 600
        return DeliveryError(
            f"message refused: {exc.code} {_short(exc.message)}", permanent=permanent
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"SMTP login refused ({exc.code}): check [email] username and LEADBOT_EMAIL__PASSWORD"
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return DeliveryError(f"sender refused ({exc.code}): check [email] from_address")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):  # raised by send only for SMTPUTF8
        return DeliveryError(
            "the address has letters beyond ASCII before the @, which needs SMTPUTF8, and the "
            "SMTP server does not offer it: give an ASCII address",
            permanent=True,
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryError(f"SMTP error {exc.code}: {_short(exc.message)}")
    if isinstance(exc, aiosmtplib.SMTPException | OSError):
        return DeliveryError(f"network: {type(exc).__name__}: {_short(str(exc))}")
    return DeliveryError(f"{type(exc).__name__}: {_short(str(exc))}")
