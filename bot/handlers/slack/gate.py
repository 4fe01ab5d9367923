"""The door of ``POST /slack/events``: size, signature and reply address, before Bolt.

Bolt can verify signatures too, but only after it has parsed the body — and when the
timestamp header is not a number it raises, its error handler runs, and leadbot posted
"something went wrong" to whatever ``response_url`` the unsigned body named. So the gate
verifies instead of Bolt (whose own check is switched off, in ``app.build_app``): the
route checks, in this order and before anything is parsed or logged:

1. size: at most :data:`MAX_BODY_BYTES` (``413``; a larger ``Content-Length`` is refused
   before reading);
2. signature (Slack's ``v0`` scheme): ``X-Slack-Request-Timestamp`` is a plain number
   within :data:`MAX_SKEW_SECONDS` of now, and ``X-Slack-Signature`` equals
   ``v0=HMAC-SHA256(signing secret, "v0:<timestamp>:<body>")``, compared in constant
   time (``401``, one log line with the reason and nothing of the request);
3. the reply address: a ``response_url`` is only ever called when it points at Slack's
   hooks host (``hooks.slack.com`` for the real Slack; for another ``[slack] api_url``,
   e.g. the test emulator, that URL's own scheme, host and port). Any other is replaced
   by :func:`refused_respond`, which sends nothing.

Bolt's own logger is capped and summarised (:func:`bolt_logger`): it writes request
bodies at INFO ("Invalid request signature detected ... body: ...") and WARNING
("Unhandled request ({...})").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

log = logging.getLogger("bot.handlers.slack")

MAX_BODY_BYTES = 1_000_000
MAX_SKEW_SECONDS = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_UNSAFE_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\\@]")
OFFICIAL_HOOKS = {"slack.com": "hooks.slack.com", "slack-gov.com": "hooks.slack-gov.com"}
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class Refused(Exception):
    """A request the door turns away: the status and a reason for the log (no content)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


async def read_body(request: Request) -> bytes:
    """The raw body, refusing (413) as soon as it exceeds :data:`MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, "body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, "body too large")
    return bytes(body)


def verify(secret: bytes, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Slack's request signature, or :class:`Refused` (401) saying which part failed."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise Refused(401, "no signature headers")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "the timestamp is not a number")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Refused(401, "the timestamp is more than 5 minutes off")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    if not _SIGNATURE.fullmatch(signature) or not hmac.compare_digest(
        expected.encode(), signature.encode()
    ):
        raise Refused(401, "wrong signature")


def hooks_origin(api_url: str) -> Origin:
    """Where ``response_url``s may point, derived from ``[slack] api_url``."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    for domain, hooks in OFFICIAL_HOOKS.items():
        if host == domain or host.endswith("." + domain):
            return ("https", hooks, 443)
    scheme = parts.scheme.lower()
    return (scheme, host, parts.port or DEFAULT_PORTS.get(scheme, 0))


def is_hook(url: object, origin: Origin) -> bool:
    """True for an absolute URL on ``origin`` with nothing a parser could read two ways."""
    if not isinstance(url, str) or len(url) > 2048 or _UNSAFE_URL.search(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError:
        return False
    found = (parts.scheme.lower(), (parts.hostname or "").lower(), port)
    return found == origin and parts.path.startswith("/")


def response_urls(body: Mapping[str, Any]) -> list[object]:
    """Every ``response_url`` a body names (Bolt uses the first it finds)."""
    urls: list[object] = []
    if "response_url" in body:
        urls.append(body["response_url"])
    for item in body.get("response_urls") or ():
        if isinstance(item, Mapping):
            urls.append(item.get("response_url"))
    return urls


def refused_respond(origin: Origin) -> Any:
    """A stand-in for Bolt's ``respond`` that sends nothing (the URL was not Slack's)."""

    async def respond(*_args: Any, **_kwargs: Any) -> None:
        log.info("slack: not answering via a response_url outside %s", origin[1])

    return respond


def reply_context(body: Mapping[str, Any], origin: Origin) -> dict[str, Any]:
    """Context entries for Bolt that take away a ``response_url`` not on ``origin``."""
    urls = response_urls(body)
    if all(is_hook(url, origin) for url in urls):
        return {}
    log.warning(
        "slack: a request named a response_url outside %s; it will not be called", origin[1]
    )
    return {"response_url": None, "respond": refused_respond(origin)}


class _Summary(logging.Filter):
    """Bolt's log records without their payloads: WARNING and above, and of each only the
    words before the first detail."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        head = re.split(r"[(\n{:]", record.getMessage(), maxsplit=1)[0].strip()[:120]
        if record.exc_info and record.exc_info[0] is not None:
            head += f" ({record.exc_info[0].__name__})"
        record.msg, record.args = f"slack_bolt: {head}", None
        record.exc_info, record.exc_text = None, None
        return True


def bolt_logger() -> logging.Logger:
    """The logger handed to Bolt: WARNING and above only, each record summarised.

    Bolt copies this logger's filters to the loggers it makes for its middleware (such as
    the request verification's) and for each request, so they are quiet and summarised as
    well. It copies the *level* too — onto ``logging.getLogger(app name)`` among others, the
    parent of ``leadbot.http`` — so the cap is the filter's, and the level stays unset.
    """
    logger = logging.getLogger("bot.handlers.slack.bolt")
    if not any(isinstance(f, _Summary) for f in logger.filters):
        logger.addFilter(_Summary())
    return logger
