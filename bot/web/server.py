"""Assembling the whole bot for one process: HTTP app, platforms, senders, scheduler.

With ``[[webhooks]]`` configured, the webhook sender runs beside the chat outbox sender
(its own outbox and loop, :mod:`bot.crm.sender`); an endpoint without a usable secret
stops the start with :class:`bot.config.ConfigError`.

``leadbot serve`` and the end-to-end tests build the bot the same way, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from bot.crm.sender import WebhookSender
from bot.delivery.sender import OutboxSender
from bot.leads.scheduler import scheduler_loop
from bot.runtime import Runtime
from bot.supervisor import named
from bot.web.api import create_app
from bot.web.parts import PlatformParts, platform_parts


@dataclass
class Assembly:
    app: FastAPI
    sender: OutboxSender
    parts: PlatformParts
    webhooks: WebhookSender | None = None


def assemble(runtime: Runtime, *, scheduler_interval: float = 5.0) -> Assembly:
    """The ASGI app with every enabled platform; the sender and scheduler run in its lifespan."""
    webhooks = WebhookSender(runtime) if runtime.settings.webhooks else None
    parts = platform_parts(runtime)
    sender = OutboxSender(runtime, parts.transports)
    extra = [named("webhooks", webhooks.run_forever)] if webhooks is not None else []

    async def scheduler() -> None:
        await scheduler_loop(runtime, interval=scheduler_interval)

    app = create_app(
        runtime,
        routers=parts.routers,
        mounts=parts.mounts,
        background=[named("sender", sender.run_forever), scheduler, *extra, *parts.background],
        contexts=parts.contexts,
        outage_pages=parts.outage_pages,
    )
    return Assembly(app, sender, parts, webhooks)
