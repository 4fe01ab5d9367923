"""The Slack app: a Bolt ``AsyncApp`` served at ``POST /slack/events`` or over Socket Mode.

``contribute(runtime, parts)`` is the one entry point ``leadbot serve`` uses (through
``bot.handlers.registry``): it checks the settings, builds the Bolt app around the
runtime, registers every listener module and adds to ``parts``

* the outbox transport (``parts.transports[Platform.SLACK]``),
* HTTP mode: a route for ``/slack/events``. Before Bolt sees a request,
  :mod:`~bot.handlers.slack.gate` bounds its size and verifies its signature (401, and
  nothing parsed, logged or called) and :mod:`~bot.handlers.slack.shape` checks that a
  signed body has the shape Slack sends (400 otherwise); a ``response_url`` that is not
  on Slack's hooks host is never called (also in Socket Mode).
* Socket Mode (``[slack] socket_mode = true``): a background job that keeps a Socket Mode
  connection open, for installs without a public URL.

Slack retries a delivery it thinks we missed (``X-Slack-Retry-Num``) and a user can
double-click; every listener is wrapped by ``SlackDeps.guard``, which applies each delivery
once and marks it seen with its work in the database (:mod:`bot.seen`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.interactions import Interactions
from bot.config import ConfigError, SlackSettings
from bot.handlers.slack import (
    claims,
    commands,
    declines,
    gate,
    home,
    kit_press,
    outdated,
    shape,
    staff,
    status,
)
from bot.handlers.slack.auth import BotIdentity
from bot.handlers.slack.deps import Respond, SlackDeps, report_failure
from bot.handlers.slack.linking import AccountLink, LinkOutcome, link_by_email, summary
from bot.handlers.slack.respond import kept_alive_answers
from bot.handlers.slack.transport import SlackTransport
from bot.inbox import PressInbox
from bot.models import Platform
from bot.plaintext import quoted
from bot.runtime import Runtime
from bot.supervisor import named
from bot.web.api import ContextFactory
from bot.web.parts import PlatformParts

log = logging.getLogger("bot.handlers.slack")

EVENTS_PATH = "/slack/events"
API_TIMEOUT_SECONDS = 15
LISTENERS = (claims, declines, status, kit_press, home, commands, staff, outdated)  # outdated last


def _secret(settings: SlackSettings, name: str) -> str:
    value = getattr(settings, name)
    return value.get_secret_value().strip() if value is not None else ""


def check_settings(settings: SlackSettings) -> None:
    """Refuse to start without the secrets the chosen mode needs, naming the variable."""
    needed = ["bot_token", "app_token" if settings.socket_mode else "signing_secret"]
    missing = [f"LEADBOT_SLACK__{name.upper()}" for name in needed if not _secret(settings, name)]
    if missing:
        mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
        raise ConfigError(
            f"[slack] enabled = true ({mode}) needs {' and '.join(missing)} in the environment "
            "(see docs/slack.md); or set LEADBOT_SLACK__ENABLED=false"
        )
    if not settings.api_url.startswith(("https://", "http://")):
        raise ConfigError(f"slack.api_url: not an http(s) URL: {quoted(settings.api_url)}")


def web_client(
    settings: SlackSettings, *, retries: bool = True, token: bool = True
) -> AsyncWebClient:
    """The Web API client for ``[slack] api_url``; the outbox client leaves retries to the
    outbox (it has the backoff and Retry-After handling), so it gets none of its own."""
    client = AsyncWebClient(
        token=_secret(settings, "bot_token") if token else None,
        base_url=settings.api_url if settings.api_url.endswith("/") else settings.api_url + "/",
        timeout=API_TIMEOUT_SECONDS,
    )
    if not retries:
        client.retry_handlers = []
    return client


def hooks_only(origin: gate.Origin) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Bolt middleware: a ``response_url`` off Slack's hooks host is never called.

    In HTTP mode the route has already done this before Bolt built its context; this
    covers Socket Mode, whose requests reach Bolt directly.
    """

    async def only_slack_hooks(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        if context.response_url is not None and not gate.is_hook(context.response_url, origin):
            context.update(gate.reply_context({"response_url": context.response_url}, origin))
        return await next()

    return only_slack_hooks


def failed(runtime: Runtime) -> Callable[..., Awaitable[None]]:
    """Bolt's error handler, for what fails outside a guarded listener (middleware)."""

    async def on_error(error: Exception, body: dict, respond: Respond | None) -> None:
        await report_failure(runtime, body, error, respond)

    return on_error


def build_app(
    runtime: Runtime, identity: BotIdentity, kept: AsyncWebClient, deps: SlackDeps
) -> AsyncApp:
    """The Bolt app with every leadbot listener registered.

    Its client has no token of its own: Bolt takes the bot token from ``identity`` for
    each request (and hands listeners a client carrying it). Answers through a
    ``response_url`` use ``kept``'s HTTP session while ``serve`` keeps it open.
    """
    settings = runtime.settings.slack
    app = AsyncApp(
        name="leadbot",
        client=web_client(settings, token=False),
        authorize=identity.hook(),
        signing_secret=_secret(settings, "signing_secret"),
        # Every HTTP request reaches Bolt through events_router, whose gate has verified
        # the signature already (before parsing, without logging the body); Socket Mode
        # has none. Bolt's own check would only verify the same bytes a second time.
        request_verification_enabled=False,
        ignoring_self_events_enabled=True,
        logger=gate.bolt_logger(),
        # Bolt awaits each listener instead of polling for its ack every 10 ms; our guard
        # returns at the ack and lets the rest run on (SlackDeps.guard).
        process_before_response=True,
    )
    app.middleware(hooks_only(gate.hooks_origin(settings.api_url)))
    app.middleware(kept_alive_answers(kept))
    app.error(failed(runtime))
    for module in LISTENERS:
        module.register(app, deps)
    return app


def events_router(
    app: AsyncApp, settings: SlackSettings, first: Callable[[Mapping[str, Any]], Awaitable[bool]]
) -> APIRouter:
    """``POST /slack/events`` for events, interactivity and the slash command; a checked
    request goes to ``first`` (the Claim presses' :func:`~bot.handlers.slack.claims.fast_path`),
    and to Bolt when ``first`` leaves it."""
    secret = _secret(settings, "signing_secret").encode()
    origin = gate.hooks_origin(settings.api_url)
    router = APIRouter()

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        try:
            body = await gate.read_body(request)
            gate.verify(secret, request.headers, body, time.time())
            payload = shape.parse(body, request.headers.get("content-type"))
            shape.check(payload)
        except gate.Refused as refused:
            log.info("slack: refused a request (%s: %s)", refused.status, refused.reason)
            return Response(refused.reason, status_code=refused.status)
        except shape.Malformed as malformed:
            log.info("slack: refused a signed request that is not Slack's shape (%s)", malformed)
            return Response("malformed Slack request", status_code=400)
        if await first(payload):
            return Response(status_code=200)
        try:
            bolt_request = to_async_bolt_request(request, body, gate.reply_context(payload, origin))
        except Exception as exc:  # a shape Bolt cannot read that shape.check let through
            log.info("slack: refused a signed request Bolt cannot read (%s)", type(exc).__name__)
            return Response("malformed Slack request", status_code=400)
        return to_starlette_response(await app.async_dispatch(bolt_request))

    return router


def socket_mode_job(app: AsyncApp, app_token: str) -> Callable[[], Awaitable[None]]:
    """Keep a Socket Mode connection open for the server's lifetime.

    The first connection is retried with backoff (Slack may be unreachable at start);
    after that slack_sdk's client reconnects by itself. Cancelled at shutdown.
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
                    log.warning(
                        "slack: Socket Mode connection failed (%s); retrying in %.0fs",
                        type(exc).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(60.0, delay * 2)
            log.info("slack: connected over Socket Mode")
            await asyncio.Event().wait()
        finally:
            await handler.close_async()

    return slack_socket_mode


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


def contribute(runtime: Runtime, parts: PlatformParts) -> None:
    """Add Slack's transport, route or Socket Mode job to ``parts`` (a ``PlatformParts``)."""
    settings = runtime.settings.slack
    check_settings(settings)
    if not settings.staff_channel:
        log.warning("slack: no [slack] staff_channel set; the staff feed is not posted to Slack")
    identity = BotIdentity(web_client(settings, token=False), _secret(settings, "bot_token"))
    outbox_client = web_client(settings, retries=False)
    deps = SlackDeps(runtime, Interactions(runtime))
    answers = claims.ClaimAnswers(deps, outbox_client)
    presses = deps.presses = PressInbox(runtime, answers)
    app = build_app(runtime, identity, outbox_client, deps)
    parts.contexts.append(identity.warm_up)
    parts.contexts.append(linking_at_start(runtime, identity))
    parts.contexts.append(kept_alive(outbox_client))
    parts.transports[Platform.SLACK] = SlackTransport(outbox_client, settings, runtime.coordination)
    if settings.socket_mode:
        job = socket_mode_job(app, _secret(settings, "app_token"))
        parts.background.append(named("slack-socket-mode", job))
    else:
        origin = gate.hooks_origin(settings.api_url)
        parts.routers.append(events_router(app, settings, claims.fast_path(answers, origin)))
    parts.background.append(named("slack-presses", presses.run_forever))
