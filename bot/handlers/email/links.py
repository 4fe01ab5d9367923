"""Signed one-click links: what a link may do, sealed with HMAC-SHA256 and the link secret.

A token is ``<payload>.<signature>``, both base64url without padding. The payload is a small
JSON object: the purpose (``claim`` a teaser's offer, report a ``status`` action on a
lead, or ``unsubscribe`` a lead inbox from teaser mails), the offer or lead id, who the link
was sent to (the partner for a teaser, the rep for a card), the action (for an unsubscribe
link: the inbox's digest), the expiry (Unix seconds) and a random nonce. The signature covers the
payload under a versioned label, so a token cannot be altered, and a token minted for
another purpose of leadbot cannot be replayed here. Single use is the database's job (the
nonce in ``used_links``, see :mod:`bot.handlers.email.act`), expiry is checked here against
the caller's clock — a test's manual clock as well as the real one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

ACT_PATH = "/email/act"
UNSUBSCRIBE_PATH = "/email/unsubscribe"
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
"""The expiry of an unsubscribe link: an opt-out must still work months later."""
LABEL = b"leadbot-email-link:v1:"
MAX_TOKEN_CHARS = 1000
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{8,900}")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes of HMAC-SHA256, unpadded


class Purpose(StrEnum):
    CLAIM = "claim"  # a teaser's Claim link: target = offer id, party = partner id
    DECLINE = "decline"  # a teaser's "Not for us" link: target = offer id, party = partner id
    STATUS = "status"  # a lead card's action link: target = lead id, party = rep id
    # A teaser mail's unsubscribe link: target = 0, party = partner id, action = the digest
    # of the lead inbox it was mailed to (address_digest); it never expires (NEVER).
    UNSUBSCRIBE = "unsubscribe"


NEEDS_ACTION = frozenset({Purpose.STATUS, Purpose.UNSUBSCRIBE})
"""The purposes whose links carry ``action`` (and only they)."""


class LinkProblem(StrEnum):
    """Why a token is refused; each becomes its own page and HTTP status."""

    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"


class LinkError(Exception):
    """``link``: for :attr:`LinkProblem.EXPIRED`, the link that expired — its signature was
    checked, so it is leadbot's own and says truthfully whose it was (an expired status
    link can still ask for fresh ones, :mod:`bot.handlers.email.renew`)."""

    def __init__(self, problem: LinkProblem, link: Link | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.link = link


@dataclass(frozen=True)
class Link:
    """What a link lets its holder do, once, until ``expires_at``."""

    purpose: Purpose
    target: int
    party: str
    expires_at: datetime
    nonce: str
    action: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "p": self.purpose.value,
            "t": self.target,
            "w": self.party,
            "e": int(self.expires_at.timestamp()),
            "n": self.nonce,
        }
        if self.action is not None:
            data["a"] = self.action
        return data

    @classmethod
    def from_json(cls, data: Any) -> Link:
        """Raises ValueError/KeyError/TypeError for anything that is not a link payload."""
        if not isinstance(data, dict):
            raise TypeError("not an object")
        action = data.get("a")
        link = cls(
            purpose=Purpose(data["p"]),
            target=int(data["t"]),
            party=str(data["w"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            nonce=str(data["n"]),
            action=str(action) if action is not None else None,
        )
        if not 8 <= len(link.nonce) <= 64 or (link.purpose in NEEDS_ACTION) != bool(action):
            raise ValueError("incomplete link")
        return link


def new_link(
    purpose: Purpose, target: int, party: str, expires_at: datetime, action: str | None = None
) -> Link:
    return Link(purpose, target, party, expires_at, secrets.token_urlsafe(16), action)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), LABEL + payload.encode("ascii"), hashlib.sha256).digest()


def sign(link: Link, secret: str) -> str:
    """The token for ``link``: its payload and the HMAC over it."""
    payload = _b64(json.dumps(link.to_json(), separators=(",", ":")).encode())
    return f"{payload}.{_b64(_signature(payload, secret))}"


def verify(token: str, secret: str, now: datetime) -> Link:
    """The link a token stands for, if it is intact and not expired; else LinkError.

    The signature is checked (in constant time) before the payload is even parsed; an
    expired link's error carries the (authentic) link.
    """
    token = token.strip()
    payload, _, signature = token.partition(".")
    if len(token) > MAX_TOKEN_CHARS or not _PAYLOAD.fullmatch(payload):
        raise LinkError(LinkProblem.MALFORMED)
    if not _SIGNATURE.fullmatch(signature):
        raise LinkError(LinkProblem.MALFORMED)
    # Compared as canonical text, so no second spelling of a signature is accepted.
    if not hmac.compare_digest(signature, _b64(_signature(payload, secret))):
        raise LinkError(LinkProblem.FORGED)
    try:
        link = Link.from_json(json.loads(_unb64(payload)))
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError):
        raise LinkError(LinkProblem.MALFORMED) from None
    if link.expires_at <= now:
        raise LinkError(LinkProblem.EXPIRED, link)
    return link


def link_url(base_url: str, token: str, path: str = ACT_PATH) -> str:
    """The address of the one-click page for ``token`` on this server."""
    return f"{base_url.rstrip('/')}{path}?t={token}"


def address_digest(address: str) -> str:
    """What an unsubscribe link says about the inbox it was mailed to: 16 characters of
    SHA-256 over the address as stored (lower-case, trimmed). The link is checked against
    the partner's current address with it — a link for an address the partner no longer
    has changes nothing — without writing the address itself into a URL."""
    normal = address.strip().lower().encode("utf-8")
    return _b64(hashlib.sha256(normal).digest()[:12])
