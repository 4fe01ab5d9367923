"""A CRM's webhook endpoint over real HTTP, for the webhook tests.

Every request is checked with the Standard Webhooks *reference* verifier (the
``standardwebhooks`` package's ``Webhook.verify``: signature and a timestamp within five
minutes of now); the receiver answers as scripted — ``500`` for a while, ``429`` with a
``Retry-After`` — and keeps the messages it accepted (answered 2xx) in arrival order.

It can be *down*: the socket is bound but does not listen, so connections are refused,
exactly as when the CRM is off; :meth:`WebhookReceiver.up` starts listening on the same
port. It can be *slow*: :meth:`WebhookReceiver.hold` keeps the next requests waiting for
their answer, so a sender can be killed while one is on its way; :meth:`WebhookReceiver.gate`
keeps the next one waiting until the test opens the gate, so a stalled sender's answer
comes exactly when the test wants it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
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
        self.user_agents: list[str] = []  # of every request, in arrival order
        self.ids: list[str] = []  # the webhook-id of every request (2xx or not), in arrival order
        self.holding = 0  # requests waiting for a held answer right now
        self._holds: list[float | asyncio.Event] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hooks/leadbot"
        self._runner: web.AppRunner | None = None

    def answer(self, status: int, times: int = 1, **headers: str) -> None:
        """The next ``times`` requests get ``status`` (then 200 again)."""
        self.script += [(status, dict(headers))] * times

    def hold(self, seconds: float, times: int = 1) -> None:
        """The next ``times`` requests get their answer only after ``seconds``."""
        self._holds += [seconds] * times

    def gate(self) -> asyncio.Event:
        """The next request waits until the returned event is set; its answer is the one
        scripted (:meth:`answer`) by then, not when it arrived. For a receiver on the
        test's own loop (:func:`webhook_receiver`): an event is not set across threads."""
        opened = asyncio.Event()
        self._holds.append(opened)
        return opened

    async def _hook(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        self.ids.append(request.headers.get("webhook-id", ""))
        body = await request.read()
        if self._holds:
            self.holding += 1
            hold = self._holds.pop(0)
            try:
                if isinstance(hold, asyncio.Event):
                    await hold.wait()
                else:
                    await asyncio.sleep(hold)
            finally:
                self.holding -= 1
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


@contextmanager
def webhook_receiver_thread(secret: str) -> Iterator[WebhookReceiver]:
    """A listening receiver on an event loop of its own thread: for sync tests, whose
    waiting (a ``leadbot serve`` subprocess, the CLI) would block a receiver in their loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="webhook-receiver", daemon=True)
    thread.start()
    receiver = WebhookReceiver(secret)
    try:
        asyncio.run_coroutine_threadsafe(receiver.up(), loop).result(10)
        yield receiver
    finally:
        asyncio.run_coroutine_threadsafe(receiver.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
