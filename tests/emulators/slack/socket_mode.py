"""Slack's Socket Mode, emulated: ``apps.connections.open`` and the WebSocket behind it.

The bot (slack_sdk's aiohttp ``SocketModeClient`` under Bolt's ``AsyncSocketModeHandler``)
asks ``apps.connections.open`` with its app token for a ``wss://`` URL, connects, gets a
``hello`` and then *envelopes*: ``{"envelope_id", "type": "interactive" | "slash_commands"
| "events_api", "payload", "accepts_response_payload"}``. It acknowledges each by sending
``{"envelope_id": …}`` back (Slack shows the user an error after 3 s without one).

:class:`SocketModeHub` lives in the emulator's event loop; its :meth:`~SocketModeHub.deliver`
is called from a test's thread or loop. :class:`SocketModeDriver` is the usual driver
(same payloads, same button look-up) delivering over the socket instead of signed HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.emulators.slack.driver import SlackDriver
from tests.emulators.slack.signing import FORM, DriverResponse

if TYPE_CHECKING:
    from tests.emulators.slack.server import SlackEmulator

PATH = "/socket-mode"
ACK_SECONDS = 3.0  # Slack's deadline for an envelope's ack


class SocketModeHub:
    """The bot's open Socket Mode connections, and the acks of the envelopes sent."""

    def __init__(self, emulator: SlackEmulator, app_token: str) -> None:
        self.emulator = emulator
        self.app_token = app_token
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, Future[dict[str, Any]]] = {}

    @property
    def url(self) -> str:
        return self.emulator.base_url.replace("http://", "ws://", 1) + PATH

    @property
    def connections(self) -> int:
        return len(self._sockets)

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        """One Socket Mode connection: ``hello``, then the bot's acks until it closes."""
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        self.emulator.changed()
        try:
            await socket.send_json(
                {"type": "hello", "num_connections": len(self._sockets), "debug_info": {}}
            )
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                answer = json.loads(message.data)
                waiting = self._acks.pop(str(answer.get("envelope_id")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(answer)
        finally:
            self._sockets.remove(socket)
            self.emulator.changed()
        return socket

    def drop(self, timeout: float = ACK_SECONDS) -> None:
        """Close every open connection, as Slack does on a restart or a network cut
        (callable from any thread but the emulator's)."""
        loop = self.emulator._loop
        assert loop is not None, "the emulator is not running"

        async def close_all() -> None:
            for socket in list(self._sockets):
                await socket.close()

        asyncio.run_coroutine_threadsafe(close_all(), loop).result(timeout)

    async def _send(self, envelope: dict[str, Any]) -> None:
        if not self._sockets:
            raise ConnectionError("the bot has no Socket Mode connection open")
        await self._sockets[-1].send_json(envelope)

    def deliver(self, kind: str, payload: dict[str, Any], timeout: float = ACK_SECONDS) -> Any:
        """Send ``payload`` as an envelope of ``kind``; the bot's ack, or None after
        ``timeout`` (callable from any thread but the emulator's)."""
        loop = self.emulator._loop
        assert loop is not None, "the emulator is not running"
        envelope_id = str(uuid.uuid4())
        acked: Future[dict[str, Any]] = Future()
        self._acks[envelope_id] = acked
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        asyncio.run_coroutine_threadsafe(self._send(envelope), loop).result(timeout)
        try:
            return acked.result(timeout)
        except TimeoutError:
            self._acks.pop(envelope_id, None)
            return None


class SocketModeDriver(SlackDriver):
    """The Slack driver, delivering over Socket Mode: an acknowledged envelope is status
    200 (no answer within 3 s: status 0, as Slack would show the user an error)."""

    def __init__(self, emulator: SlackEmulator) -> None:
        super().__init__(emulator, request_url="socket-mode", signing_secret="")

    async def post(  # type: ignore[override]
        self, body: bytes, content_type: str, payload: dict[str, Any], **_delivery: Any
    ) -> DriverResponse:
        form = dict(parse_qsl(body.decode())) if content_type == FORM else {}
        kind = (
            "interactive"
            if "payload" in form
            else "slash_commands"
            if content_type == FORM
            else "events_api"
        )
        started = time.perf_counter()
        hub = self.emulator.socket_mode
        ack = await asyncio.to_thread(hub.deliver, kind, payload)
        response = DriverResponse(
            status=200 if ack is not None else 0,
            body=json.dumps(ack.get("payload") or {}) if ack else "",
            headers={},
            elapsed=time.perf_counter() - started,
            payload=payload,
            raw=body,
            content_type=content_type,
            error=None if ack is not None else "no ack within 3 s",
        )
        self.sent.append(response)
        return response
