"""The cockpit's session cookie: who signed in and until when, signed with HMAC-SHA256.

The cookie value is ``base64url(json) . base64url(hmac)``; nothing in it is secret, but
nothing in it can be changed without the key. It names the sign-in that started the
session, so that signing out ends the session on the server, for every copy of the cookie. The key comes only from the environment
(``LEADBOT_COCKPIT__SECRET``); without it the cockpit refuses to start a session and says
so (there is no generated fallback: sessions would silently end at every restart and
differ between two processes behind one address). Expiry is checked against the bot's
clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import ConfigError, Settings

COOKIE = "leadbot_cockpit"
SECRET_ENV = "LEADBOT_COCKPIT__SECRET"
MIN_SECRET = 16


def require_secret(settings: Settings) -> bytes:
    """The signing key; :class:`ConfigError` naming the variable when it is missing or short."""
    secret = settings.cockpit.secret
    value = secret.get_secret_value() if secret is not None else ""
    if len(value) < MIN_SECRET:
        raise ConfigError(
            f"the cockpit needs a signing secret of at least {MIN_SECRET} characters in "
            f"the environment: set {SECRET_ENV} (e.g. to the output of "
            f"'python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"') and restart"
        )
    return value.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


@dataclass(frozen=True)
class CockpitSession:
    actor: str
    expires_at: datetime
    sign_in: str
    """The sign-in that started it (a ``cockpit_logins`` key): ending that ends the session
    for every copy of the cookie (:func:`bot.cockpit.links.session_live`)."""


def issue(settings: Settings, actor: str, sign_in: str, now: datetime) -> tuple[str, int]:
    """A cookie value for ``actor``'s session started by ``sign_in``, and its lifetime in
    seconds."""
    seconds = int(timedelta(hours=settings.cockpit.session_hours).total_seconds())
    expires = int(now.timestamp()) + seconds
    claims = {"sub": actor, "exp": expires, "sid": sign_in}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_mac(require_secret(settings), body)}", seconds


def verify(settings: Settings, value: str | None, now: datetime) -> CockpitSession | None:
    """The session in a cookie value, or None if missing, forged, malformed or expired (or
    issued before sessions named their sign-in). Whether it was ended is the database's to
    say (:func:`bot.cockpit.links.session_live`)."""
    if not value or value.count(".") != 1 or len(value) > 2000:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(require_secret(settings), body)):
        return None
    try:
        data = json.loads(_unb64(body))
        expires = datetime.fromtimestamp(int(data["exp"]), UTC)
        actor = str(data["sub"])
        sign_in = str(data["sid"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires <= now:
        return None
    return CockpitSession(actor, expires, sign_in)
