"""Sending to the bot as Slack does: the ``v0`` HMAC-SHA256 signature, retry headers, timing.

Bolt (and any correct Slack app) rejects requests whose signature or timestamp is off;
the sender can produce those on purpose (``signing="bad" | "stale" | "missing"``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

Signing = Literal["valid", "bad", "stale", "missing"]
FORM = "application/x-www-form-urlencoded"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature for ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class DriverResponse:
    """The bot's answer to one request, and how long it took (Slack wants an ack in 3 s)."""

    status: int
    body: str
    headers: Mapping[str, str]
    elapsed: float
    payload: dict[str, Any]  # what was sent (the decoded payload / event envelope / form)
    raw: bytes = field(repr=False, default=b"")
    content_type: str = field(repr=False, default="")
    error: str | None = None  # no answer at all (the bot was unreachable or died): status 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON, or None when the bot answered with an empty body."""
        return json.loads(self.body) if self.body.strip() else None


class SignedSender:
    """POSTs signed bodies to ``request_url`` and keeps every answer in ``sent``."""

    def __init__(self, request_url: str, signing_secret: str, timeout: float) -> None:
        self.request_url = request_url
        self.signing_secret = signing_secret
        self.timeout = timeout
        self.sent: list[DriverResponse] = []

    async def send_payload(self, payload: dict[str, Any], **delivery: Any) -> DriverResponse:
        """An interaction payload, form-encoded as ``payload=<json>`` like Slack sends it."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, FORM, payload, **delivery)

    async def post_json(self, payload: dict[str, Any], **delivery: Any) -> DriverResponse:
        body = json.dumps(payload).encode()
        return await self.post(body, "application/json", payload, **delivery)

    async def resend(
        self, previous: DriverResponse, *, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> DriverResponse:
        """Send the very same body again, as Slack's retry (freshly signed, retry headers)."""
        return await self.post(
            previous.raw,
            previous.content_type,
            previous.payload,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )

    def unacknowledged(self) -> list[DriverResponse]:
        """Requests whose latest delivery got no 2xx (an error status, or no answer at all
        because the bot died): what Slack retries (or the user presses again)."""
        latest: dict[bytes, DriverResponse] = {}
        for response in self.sent:
            latest[response.raw] = response
        return [r for r in latest.values() if not r.ok]

    async def redeliver_unacknowledged(
        self, retry_reason: str = "http_error"
    ) -> list[DriverResponse]:
        """Send every :meth:`unacknowledged` request again, at once, with Slack's retry
        headers; returns the new answers."""
        pending = self.unacknowledged()
        retries = [
            self.resend(r, retry_num=self._attempts(r.raw), retry_reason=retry_reason)
            for r in pending
        ]
        return list(await asyncio.gather(*retries))

    def _attempts(self, raw: bytes) -> int:
        return sum(1 for r in self.sent if r.raw == raw)

    async def post(
        self,
        body: bytes,
        content_type: str,
        payload: dict[str, Any],
        *,
        signing: Signing = "valid",
        retry_num: int | None = None,
        retry_reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DriverResponse:
        """POST a raw body to the bot, signed as ``signing`` says."""
        timestamp = str(int(time.time()) - (600 if signing == "stale" else 0))
        secret = self.signing_secret if signing != "bad" else self.signing_secret + "-wrong"
        sent = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+emulator)"}
        if signing != "missing":
            sent["X-Slack-Request-Timestamp"] = timestamp
            sent["X-Slack-Signature"] = sign(secret, timestamp, body)
        if retry_num is not None:
            sent["X-Slack-Retry-Num"] = str(retry_num)
            sent["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        sent.update(headers or {})
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                answer = await client.post(self.request_url, content=body, headers=sent)
        except httpx.TransportError as exc:
            failed = DriverResponse(
                status=0,
                body="",
                headers={},
                elapsed=time.perf_counter() - started,
                payload=payload,
                raw=body,
                content_type=content_type,
                error=type(exc).__name__,
            )
            self.sent.append(failed)
            return failed
        response = DriverResponse(
            status=answer.status_code,
            body=answer.text,
            headers=dict(answer.headers),
            elapsed=time.perf_counter() - started,
            payload=payload,
            raw=body,
            content_type=content_type,
        )
        self.sent.append(response)
        return response
