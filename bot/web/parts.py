"""What the enabled chat platforms add to a server process.

``leadbot serve`` (through :func:`bot.web.server.assemble`) asks :func:`platform_parts`
once at start. Every enabled platform's ``server_module`` (see
:mod:`bot.handlers.registry`) exposes ``contribute(runtime, parts)`` and adds its outbound
transport (for the outbox sender), its HTTP routes (webhooks) and the pages they show
while the database is not answering, background jobs (long polling, Socket Mode) and async
contexts (SDK sessions) to one :class:`PlatformParts`. A platform that cannot start as
configured (a missing token) raises
:class:`bot.config.ConfigError` from ``contribute``; ``serve`` shows its message and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter
from starlette.types import ASGIApp

from bot import supervisor
from bot.content.service import content_loop, sync_library
from bot.delivery.transports import Transport
from bot.models import Platform
from bot.news.service import news_loop
from bot.runtime import Runtime
from bot.web.api import Background, ContextFactory
from bot.web.unavailable import OutagePage

log = logging.getLogger(__name__)


@dataclass
class PlatformParts:
    transports: dict[Platform, Transport] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)
    mounts: list[tuple[str, ASGIApp]] = field(default_factory=list)
    background: list[Background] = field(default_factory=list)
    contexts: list[ContextFactory] = field(default_factory=list)
    outage_pages: dict[str, OutagePage] = field(default_factory=dict)


async def start_content_and_news(runtime: Runtime) -> list[asyncio.Task[None]]:
    """What ``serve`` and ``console`` call once at start.

    Syncs the library (its valid items; problems are logged and go to the staff feed) and
    starts the two background loops, supervised (:mod:`bot.supervisor`): the periodic
    library re-check (``task:content``) and the news poller (``task:news``). Cancel the
    returned tasks on shutdown.
    """
    try:
        summary = await sync_library(runtime)
    except Exception:
        log.exception("content library sync at start failed; continuing without it")
    else:
        (log.error if not summary.ok else log.warning if summary.problems else log.info)(
            "%s", summary
        )
    return supervisor.start(
        [
            supervisor.named("content", lambda: content_loop(runtime)),
            supervisor.named("news", lambda: news_loop(runtime)),
        ],
        runtime.health,
        runtime.schema,
    )


def content_and_news(runtime: Runtime) -> ContextFactory:
    """Sync the sales-content library at start and run the content and news loops."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        tasks = await start_content_and_news(runtime)
        try:
            yield
        finally:
            await supervisor.stop(tasks)

    return running


def platform_parts(runtime: Runtime) -> PlatformParts:
    """Everything the enabled platforms contribute to this process."""
    parts = PlatformParts()
    parts.contexts.append(content_and_news(runtime))
    for chat in runtime.chats.values():
        if chat.server_module is not None:
            importlib.import_module(chat.server_module).contribute(runtime, parts)
    return parts
