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

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.interactions import Interactions
from bot.config import SlackSettings
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
from bot.handlers.slack.respond import kept_alive_answers
from bot.handlers.slack.running import kept_alive, linking_at_start, socket_mode_job
from bot.handlers.slack.running import (  # ``leadbot reps import`` finds it on server_module
    link_accounts as link_accounts,
)
from bot.handlers.slack.setup import check_settings, secret, web_client
from bot.handlers.slack.transport import SlackTransport
from bot.inbox import PressInbox
from bot.models import Platform
from bot.runtime import Runtime
from bot.supervisor import named
from bot.web.parts import PlatformParts

log = logging.getLogger("bot.handlers.slack")

EVENTS_PATH = "/slack/events"
LISTENERS = (claims, declines, status, kit_press, home, commands, staff, outdated)  # outdated last


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
        signing_secret=secret(settings, "signing_secret"),
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
    signing = secret(settings, "signing_secret").encode()
    origin = gate.hooks_origin(settings.api_url)
    router = APIRouter()

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        try:
            body = await gate.read_body(request)
            gate.verify(signing, request.headers, body, time.time())
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


def contribute(runtime: Runtime, parts: PlatformParts) -> None:
    """Add Slack's transport, route or Socket Mode job to ``parts`` (a ``PlatformParts``)."""
    settings = runtime.settings.slack
    check_settings(settings)
    if not settings.staff_channel:
        log.warning("slack: no [slack] staff_channel set; the staff feed is not posted to Slack")
    identity = BotIdentity(web_client(settings, token=False), secret(settings, "bot_token"))
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
        job = socket_mode_job(app, secret(settings, "app_token"))
        parts.background.append(named("slack-socket-mode", job))
    else:
        origin = gate.hooks_origin(settings.api_url)
        parts.routers.append(events_router(app, settings, claims.fast_path(answers, origin)))
    parts.background.append(named("slack-presses", presses.run_forever))
