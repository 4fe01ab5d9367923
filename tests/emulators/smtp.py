"""A real SMTP server for tests: aiosmtpd in the test's own event loop, on a free port.

The bot's ``aiosmtplib`` client talks real SMTP to it. Every accepted message is parsed
(``email.policy.default``) and kept; tests wait for the mail they expect — never sleep —
and read its subject, its text and HTML parts and the one-click links in it. Recipients
can be refused with a chosen reply (``550`` for good, ``451`` for "try again later").
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.smtp import SMTP, Envelope, Session

T = TypeVar("T")
LINK = re.compile(r"https?://[^\s<>\"]+/email/act\?t=[A-Za-z0-9_\-.]+")


@dataclass
class Mail:
    """One message the server accepted."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype}"
        return str(body.get_content())

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    def links(self) -> list[str]:
        """The one-click links in the text part, in order."""
        return LINK.findall(self.text)

    def link(self, after: str) -> str:
        """The first one-click link in the text part that follows the line ``after``."""
        lines = self.text.splitlines()
        for i, line in enumerate(lines):
            if line.strip().startswith(after):
                for following in lines[i + 1 :]:
                    if LINK.fullmatch(following.strip()):
                        return following.strip()
        raise AssertionError(f"no link after {after!r} in:\n{self.text}")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient (lower-case) -> SMTP reply to its RCPT TO, e.g. ``"550 5.1.1 unknown"``."""

    # --- aiosmtpd handler hooks ----------------------------------------------------------

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        message = BytesParser(policy=default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    # --- queries ---------------------------------------------------------------------------

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address.lower() in (r.lower() for r in m.recipients)]

    async def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "mail"
    ) -> T:
        """Yield to the bot in this loop until ``predicate()`` is truthy; TimeoutError if not."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                got = "\n".join(f"  to {m.recipients}: {m.subject}" for m in self.mails)
                raise TimeoutError(f"no {what} within {timeout}s; received:\n{got or '  nothing'}")
            await asyncio.sleep(0.01)

    async def wait_for_mail(self, address: str, count: int = 1, timeout: float = 10.0) -> Mail:
        """The ``count``-th mail to ``address`` (1 = the first)."""
        mails = await self.wait_for(
            lambda: self.to(address)[count - 1 : count], timeout, f"mail #{count} to {address}"
        )
        return mails[0]


@asynccontextmanager
async def running_smtp_server() -> AsyncIterator[SmtpServer]:
    """Serve an :class:`SmtpServer` on 127.0.0.1:<free port> in the current loop."""
    state = SmtpServer()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(state, hostname="mail.test", loop=loop), state.host, 0
    )
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
