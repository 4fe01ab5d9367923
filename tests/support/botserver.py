"""The whole bot, served for end-to-end tests: API, chat webhooks, sender, scheduler.

Exactly what ``leadbot serve`` assembles (``bot.web.server.assemble``), served by uvicorn on a free port in the test's event loop, so
tests talk to it over real HTTP and the emulators receive its real SDK calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.delivery.sender import OutboxSender
from bot.runtime import Runtime
from bot.web.parts import PlatformParts
from bot.web.server import assemble
from tests.emulators.receiver import serve_asgi


@dataclass
class RunningBot:
    runtime: Runtime
    url: str  # e.g. http://127.0.0.1:54321 (no trailing slash)
    sender: OutboxSender
    parts: PlatformParts


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    clock: Clock | None = None,
    scheduler_interval: float = 0.2,
    nodelay: bool = False,
) -> AsyncIterator[RunningBot]:
    runtime = Runtime.create(settings, clock=clock)
    bot = assemble(runtime, scheduler_interval=scheduler_interval)
    try:
        async with serve_asgi(bot.app, nodelay=nodelay) as url:
            yield RunningBot(runtime, url.rstrip("/"), bot.sender, bot.parts)
    finally:
        await runtime.close()
