"""One webhook delivery on the wire: the signed POST to the receiver and what its answer
means (delivered, to retry — when —, or failed for good).

The queue around it — leases, order per lead — is :mod:`bot.crm.sender`, backoff and
recording outcomes :mod:`bot.crm.webhook_outcomes`; this module knows nothing of the
database.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.config import WebhookEndpoint
from bot.crm.signing import signed_headers, signer
from bot.logsafe import printable

RETRYABLE = frozenset({408, 429})
"""The 4xx answers that are retried (timeout, too many requests); other 4xx are final."""
MAX_REPLY = 2048  # of an error answer's body, for the error message


def user_agent() -> str:
    """The ``User-Agent`` of every delivery and of ``leadbot webhooks test``, so a
    receiver's rule written for one holds for the other."""
    try:
        return f"leadbot-webhooks/{version('leadbot')}"
    except PackageNotFoundError:
        return "leadbot-webhooks"


def message_id(row_id: int, created_at: datetime) -> str:
    """The ``webhook-id``: one per delivery row, the same on every retry and replay.

    The row's id alone starts at 1 again in every new database (staging, then production;
    a re-created one), and a receiver that drops repeats by ``webhook-id`` — as the docs
    tell it to — would drop the new database's first events. The row's creation time (in
    microseconds, never changed, not even by a replay) makes it unique across databases."""
    micros = round(created_at.astimezone(UTC).timestamp() * 1_000_000)
    return f"msg_lb{row_id}_{micros}"


def body_of(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def answer_error(code: int, text: str, location: str | None) -> str:
    """What a receiver's non-2xx answer says: its status, and where a redirect pointed
    (never followed: the signed body would go elsewhere) or the start of its body."""
    error = f"HTTP {code}"
    reply = printable(text.strip(), 200)
    if 300 <= code < 400:
        error += f" (redirect to {printable(location or '?', 200)}, not followed)"
    elif reply:
        error += f": {reply}"
    return error


@dataclass(frozen=True)
class Taken:
    id: int
    endpoint: str
    event_type: str
    lead_id: int
    payload: dict[str, Any]
    attempts: int
    queued_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    row: Taken
    delivered: bool
    permanent: bool = False
    status_code: int | None = None
    error: str | None = None
    wait: float | None = None  # the receiver's Retry-After


class WebhookPoster:
    """Posts deliveries to the enabled endpoints: signed, at most ``concurrency`` at once,
    redirects not followed."""

    def __init__(
        self, endpoints: dict[str, WebhookEndpoint], signing_clock: Clock, concurrency: int
    ) -> None:
        self.endpoints = endpoints
        self.signers = {name: signer(hook) for name, hook in endpoints.items()}
        self.signing_clock = signing_clock
        self.concurrency = concurrency
        self._client: aiohttp.ClientSession | None = None
        self._limit = asyncio.Semaphore(concurrency)

    @property
    def client(self) -> aiohttp.ClientSession:
        # aiohttp rather than httpx here: at hundreds of requests per second httpcore's
        # connection pool costs more CPU than everything else together (bench/webhooks.py).
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency),
                headers={"User-Agent": user_agent()},
                trust_env=True,  # HTTPS_PROXY / NO_PROXY, as other HTTP clients honour them
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def attempt(self, row: Taken) -> Outcome:
        """One POST of ``row``; never raises for the receiver's or the network's faults."""
        hook = self.endpoints[row.endpoint]
        body = body_of(row.payload)
        headers = {
            **signed_headers(
                self.signers[row.endpoint],
                message_id(row.id, row.created_at),
                self.signing_clock.now(),
                body,
            ),
            "Content-Type": "application/json",
        }
        async with self._limit:
            try:
                async with self.client.post(
                    hook.url,
                    data=body.encode(),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=hook.timeout_seconds),
                    allow_redirects=False,  # a redirect could hand the signed body elsewhere
                ) as answer:
                    code = answer.status
                    text = (await answer.content.read(MAX_REPLY)).decode("utf-8", "replace")
                    location = answer.headers.get("location")
                    wait_header = answer.headers.get("retry-after")
            except (aiohttp.ClientError, TimeoutError) as exc:
                detail = printable(exc, 200) or "no answer in time"
                return Outcome(row, False, error=f"{type(exc).__name__}: {detail}")
        if 200 <= code < 300:
            return Outcome(row, True, status_code=code)
        error = answer_error(code, text, location)
        permanent = 400 <= code < 500 and code not in RETRYABLE
        wait = retry_after(wait_header, self.signing_clock.now())
        return Outcome(row, False, permanent, code, error, wait)
