"""What each chat platform contributes to a server process.

``leadbot serve`` asks :func:`platform_parts` once at start. Every enabled platform adds
its outbound transport (for the outbox sender), its HTTP routes (webhooks), background
jobs (long polling, Socket Mode) and async contexts (SDK sessions) to one
:class:`PlatformParts`. A platform package exposes ``contribute(runtime, parts)``; this
module is the only place that knows which packages exist, so ``serve`` never changes when
a platform is added. A platform that cannot start as configured (a missing token) raises
:class:`bot.config.ConfigError` from ``contribute``; ``serve`` shows its message and exits.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter
from starlette.types import ASGIApp

from bot.delivery.transports import Transport
from bot.models.enums import Platform
from bot.runtime import Runtime
from bot.web.api import Background, ContextFactory


@dataclass
class PlatformParts:
    transports: dict[Platform, Transport] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)
    mounts: list[tuple[str, ASGIApp]] = field(default_factory=list)
    background: list[Background] = field(default_factory=list)
    contexts: list[ContextFactory] = field(default_factory=list)


def content_and_news(runtime: Runtime) -> ContextFactory:
    """Sync the sales-content library at start and run the content and news loops."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        import asyncio

        from bot.content.service import start_content_and_news

        tasks = await start_content_and_news(runtime)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    return running


def platform_parts(runtime: Runtime) -> PlatformParts:
    """Everything the enabled platforms contribute to this process."""
    parts = PlatformParts()
    parts.contexts.append(content_and_news(runtime))
    if runtime.settings.slack.enabled:
        from bot.handlers import slack

        slack.contribute(runtime, parts)
    if runtime.settings.telegram.enabled:
        from bot.handlers import telegram

        telegram.contribute(runtime, parts)
    return parts


def transports(runtime: Runtime) -> dict[Platform, Transport]:
    """The transports this process delivers with."""
    return platform_parts(runtime).transports
