"""The whole bot, served for end-to-end tests: API, chat webhooks, sender, scheduler.

Exactly what ``leadbot serve`` assembles (``bot.handlers.registry.platform_parts`` +
``bot.api.create_app``), served by uvicorn on a free port in the test's event loop, so
tests talk to it over real HTTP and the emulators receive its real SDK calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.api import create_app
from bot.clock import Clock
from bot.config import Settings
from bot.handlers import registry
from bot.runtime import Runtime
from bot.scheduler import scheduler_loop
from bot.sender import OutboxSender
from tests.emulators.receiver import serve_asgi


@dataclass
class RunningBot:
    runtime: Runtime
    url: str  # e.g. http://127.0.0.1:54321 (no trailing slash)
    sender: OutboxSender
    parts: registry.PlatformParts


@asynccontextmanager
async def running_bot(
    settings: Settings, *, clock: Clock | None = None, scheduler_interval: float = 0.2
) -> AsyncIterator[RunningBot]:
    runtime = Runtime.create(settings, clock=clock)
    parts = registry.platform_parts(runtime)
    sender = OutboxSender(runtime, parts.transports)

    async def scheduler() -> None:
        await scheduler_loop(runtime, interval=scheduler_interval)

    app = create_app(
        runtime,
        routers=parts.routers,
        mounts=parts.mounts,
        background=[sender.run_forever, scheduler, *parts.background],
        contexts=parts.contexts,
    )
    try:
        async with serve_asgi(app) as url:
            yield RunningBot(runtime, url.rstrip("/"), sender, parts)
    finally:
        await runtime.close()
