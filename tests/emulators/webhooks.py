"""A CRM's webhook endpoint over real HTTP, for the webhook tests.

Every request is checked with the Standard Webhooks *reference* verifier (the
``standardwebhooks`` package's ``Webhook.verify``: signature and a timestamp within five
minutes of now); the receiver answers as scripted — ``500`` for a while, ``429`` with a
``Retry-After`` — and keeps the messages it accepted (answered 2xx) in arrival order.

It can be *down*: the socket is bound but does not listen, so connections are refused,
exactly as when the CRM is off; :meth:`WebhookReceiver.up` starts listening on the same
port.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Message:
    id: str
    type: str
    payload: dict[str, Any]

    @property
    def lead_id(self) -> int:
        return int(self.payload["data"]["id"])


class WebhookReceiver:
    def __init__(self, secret: str) -> None:
        self.verifier = Webhook(secret)
        self.script: list[tuple[int, dict[str, str]]] = []
        self.accepted: list[Message] = []
        self.requests = 0
        self.refused_signatures: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hooks/leadbot"
        self._runner: web.AppRunner | None = None

    def answer(self, status: int, times: int = 1, **headers: str) -> None:
        """The next ``times`` requests get ``status`` (then 200 again)."""
        self.script += [(status, dict(headers))] * times

    async def _hook(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        try:
            self.verifier.verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            self.refused_signatures.append(str(exc))
            return web.Response(status=401, text="bad signature")
        status, headers = self.script.pop(0) if self.script else (200, {})
        if 200 <= status < 300:
            payload = json.loads(body)
            self.accepted.append(Message(request.headers["webhook-id"], payload["type"], payload))
        return web.Response(status=status, headers=headers)

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/leadbot", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._sock.close()

    async def wait_for(self, event_type: str, timeout: float = 10.0) -> Message:
        """The first accepted message of ``event_type``, waiting (polling) up to ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = next((m for m in self.accepted if m.type == event_type), None)
            if found is not None:
                return found
            if loop.time() > deadline:
                seen = [m.type for m in self.accepted]
                raise TimeoutError(f"no {event_type} within {timeout}s (accepted: {seen})")
            await asyncio.sleep(0.02)

    def of_lead(self, lead_id: int) -> list[str]:
        return [m.type for m in self.accepted if m.lead_id == lead_id]


@asynccontextmanager
async def webhook_receiver(secret: str, *, up: bool = True) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret)
    if up:
        await receiver.up()
    try:
        yield receiver
    finally:
        await receiver.close()
