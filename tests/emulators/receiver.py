"""Serving the bot's inbound HTTP side in a test, and a stand-in that records requests.

Drivers need a URL to send to: ``serve_asgi`` runs an ASGI app (leadbot's, or a
Starlette app around Bolt's adapter) with uvicorn on a free port in the test's own loop;
``serve_app`` does the same for aiohttp apps. ``Receiver`` records exactly what arrived
(headers, raw body) and answers as told: slowly, with an error, or with a JSON body.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from aiohttp import web
from multidict import CIMultiDict


@asynccontextmanager
async def serve_app(app: web.Application, path: str = "/") -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:<free port> in the current loop; yields the URL of ``path``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{path}"
    finally:
        await runner.cleanup()


class _QuietServer(uvicorn.Server):
    """uvicorn without taking over the test process's signal handlers."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serve_asgi(app: Any, path: str = "/", *, nodelay: bool = False) -> AsyncIterator[str]:
    """Serve an ASGI ``app`` with uvicorn on 127.0.0.1:<free port> in the current loop.

    Runs the app's lifespan; yields the URL of ``path``; shuts the server down after.
    ``nodelay``: TCP_NODELAY on the connections, as ``leadbot serve`` has it — without it
    each response waits ~40 ms for the client's delayed ACK (fine for most tests; a test
    sending a thousand requests wants it).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by connections
    sock.bind(("127.0.0.1", 0))
    server = _QuietServer(uvicorn.Config(app, log_level="warning", lifespan="auto"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task  # raises what made startup fail
            raise RuntimeError("the ASGI app stopped during startup")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{path}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Received:
    """One request the receiver got."""

    headers: CIMultiDict[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Records every POST to ``/hook``; answers ``status`` with ``reply`` after ``delay``."""

    def __init__(self, status: int = 200, reply: Any = None, delay: float = 0.0) -> None:
        self.status, self.reply, self.delay = status, reply, delay
        self.received: list[Received] = []

    def app(self) -> web.Application:
        async def hook(request: web.Request) -> web.StreamResponse:
            self.received.append(Received(CIMultiDict(request.headers), await request.read()))
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.reply is None:
                return web.Response(status=self.status)
            return web.json_response(self.reply, status=self.status)

        app = web.Application()
        app.router.add_post("/hook", hook)
        return app

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve in the current loop; yields the hook URL."""
        async with serve_app(self.app(), "/hook") as url:
            yield url
