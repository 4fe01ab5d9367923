"""What runs beside the Slack app for the server's lifetime: the Socket Mode connection,
the kept-alive HTTP session to Slack, and linking reps by e-mail at start.

Each is a background job or a context ``leadbot serve`` enters (``PlatformParts``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers.slack.auth import BotIdentity
from bot.handlers.slack.linking import AccountLink, LinkOutcome, link_by_email, summary
from bot.handlers.slack.setup import web_client
from bot.runtime import Runtime
from bot.supervisor import PASS_SECONDS, failing, working
from bot.web.api import ContextFactory

log = logging.getLogger("bot.handlers.slack")


CHECK_SECONDS = 5.0
"""How often the Socket Mode job looks at its connection for ``/healthz`` (a cheap local
check; slack_sdk itself pings Slack and reconnects)."""


def socket_mode_job(app: AsyncApp, app_token: str) -> Callable[[], Awaitable[None]]:
    """Keep a Socket Mode connection open for the server's lifetime.

    The first connection is retried with backoff (Slack may be unreachable at start);
    after that slack_sdk's client reconnects by itself. Either way the job tells the
    supervisor every few seconds whether the connection is up: ``/healthz`` showed the task
    ``ok`` while no press could arrive (a revoked app token, Slack unreachable). Cancelled
    at shutdown.
    """

    async def slack_socket_mode() -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, app_token)
        delay = 1.0
        try:
            while True:
                try:
                    await handler.connect_async()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failing(exc, within=delay + PASS_SECONDS)
                    log.warning(
                        "slack: Socket Mode connection failed (%s); retrying in %.0fs",
                        type(exc).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(60.0, delay * 2)
            log.info("slack: connected over Socket Mode")
            await _watch(handler.client)
        finally:
            await handler.close_async()

    return slack_socket_mode


async def _watch(client: AsyncBaseSocketModeClient) -> None:
    """Report the connection's state to the supervisor until cancelled; log its changes."""
    up = True
    while True:
        await asyncio.sleep(CHECK_SECONDS)
        if await client.is_connected():
            if not up:
                log.info("slack: Socket Mode connection is back")
            up = True
            working(within=CHECK_SECONDS + PASS_SECONDS)
        else:
            if up:
                log.warning("slack: Socket Mode connection lost; slack_sdk reconnects")
            up = False
            failing(SocketModeDisconnected(), within=CHECK_SECONDS + PASS_SECONDS)


class SocketModeDisconnected(ConnectionError):
    """No Socket Mode connection is open (its name is what ``/healthz`` shows)."""


def kept_alive(client: AsyncWebClient) -> ContextFactory:
    """While the server runs, ``client`` keeps its connections to Slack open.

    Without a session of its own the SDK opens a new HTTP session — a DNS lookup in a
    thread, a TCP (and TLS) handshake — for every call, and the outbox makes three calls
    per lead (the teaser and two staff notices): under load that was a large share of the
    process's CPU. Answers through a ``response_url`` share the session
    (:mod:`bot.handlers.slack.respond`). Outside ``serve`` (tests, one-off commands) the client works as before.
    """

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        session = aiohttp.ClientSession()  # timeouts, proxy and TLS come per request
        client.session = session
        try:
            yield
        finally:
            client.session = None
            await session.close()

    return running


async def link_accounts(runtime: Runtime) -> list[AccountLink]:
    """Link reps without a Slack id by their e-mail (``leadbot reps import`` calls this)."""
    client = web_client(runtime.settings.slack)
    return await link_by_email(runtime, client)


def linking_at_start(runtime: Runtime, identity: BotIdentity) -> ContextFactory:
    """At ``serve`` start, link reps by e-mail in the background and log the results (by
    rep id: the log holds no e-mail addresses)."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        async def link() -> None:
            try:
                results = await link_accounts(runtime)
                if results:
                    linked = all(r.outcome is LinkOutcome.LINKED for r in results)
                    level = logging.INFO if linked else logging.WARNING
                    log.log(level, "slack: reps looked up by e-mail: %s", summary(results))
            except Exception as exc:  # Slack unreachable: the next start tries again
                log.warning("slack: linking reps by e-mail failed (%s)", type(exc).__name__)

        task = asyncio.create_task(link(), name="slack-link-by-email")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return running
