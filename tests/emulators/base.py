"""The shared machinery of the chat-platform emulators: a real HTTP server on 127.0.0.1.

Each emulator runs aiohttp in its own thread with its own event loop, bound to a free port.
That keeps it independent of whoever drives it: sync tests, pytest-asyncio's per-test
loops, or a bot running in yet another thread all talk to it over real HTTP, the same way
the real client libraries talk to Slack and Telegram.

Every API call passes one pipeline: record → injected fault (one that stands in for the
call) → authentication → rate limit → a fault on the answer (late, reshaped: taken only
by a call that is performed) → the method's handler. Handlers run with the emulator's lock held, so tests reading state
from another thread always see a consistent picture.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict

from tests.emulators.faults import Fault, FaultInjector
from tests.emulators.limits import RateLimiter
from tests.emulators.recorder import Call, CallRecorder
from tests.emulators.waiting import Waiting
from tests.emulators.wire import ApiRequest, BadBody, Reply, read_params

__all__ = ["ApiRequest", "EmulatorServer", "Reply"]


class EmulatorServer(Waiting):
    """Base class: lifecycle, the call pipeline, recorder, faults, limits and waiting.

    Subclasses implement :meth:`add_routes`, :meth:`check_auth`, :meth:`call_method` and
    the platform-shaped replies for faults, rate limits and unreadable bodies.
    """

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or time.monotonic
        self.lock = threading.RLock()
        self.recorder = CallRecorder()
        self.faults = FaultInjector()
        self.limits = RateLimiter(self.clock)
        self.internal_errors: list[str] = []  # tracebacks of emulator bugs; fixtures check
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._stopping: asyncio.Event | None = None
        self._pulse: asyncio.Event | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve from a background thread.

        Started again after :meth:`stop`, it comes back on the same port with its state
        kept: the platform was down for a while (connections refused) and is back.
        """
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port or 0))
        self._sock, self._port = sock, sock.getsockname()[1]
        ready = threading.Event()
        errors: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, errors), name=type(self).__name__, daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if errors:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError(f"{type(self).__name__} failed to start") from errors[0]
        return self

    def stop(self) -> None:
        """Stop serving; pending hangs and long polls end at once. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(self._begin_stop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` — valid once started."""
        if self._port is None:
            raise RuntimeError("emulator not started; call start() or use it as a context")
        return f"http://127.0.0.1:{self._port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self, ready: threading.Event, errors: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            errors.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        self._pulse = asyncio.Event()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        assert self._sock is not None
        await web.SockSite(self._runner, self._sock).start()

    def _begin_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        self._wake()

    # ----------------------------------------------------------------- change signals

    def changed(self) -> None:
        """Tell waiters (test threads and long polls in the server loop) to look again."""
        with self._changed:
            self._changed.notify_all()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._pulse is not None:
            self._pulse.set()
            self._pulse = asyncio.Event()

    async def wait_changed(self, timeout: float) -> None:
        """In the server loop: sleep until some state changes, the timeout or stop."""
        pulse, stopping = self._pulse, self._stopping
        if pulse is None or stopping is None or stopping.is_set():
            return
        waiters = [asyncio.ensure_future(pulse.wait()), asyncio.ensure_future(stopping.wait())]
        try:
            await asyncio.wait(waiters, timeout=max(0.0, timeout), return_when="FIRST_COMPLETED")
        finally:
            for waiter in waiters:
                waiter.cancel()

    @property
    def stopping(self) -> bool:
        return self._stopping is not None and self._stopping.is_set()

    async def sleep(self, seconds: float) -> None:
        """In the server loop: sleep, but wake up when the emulator stops."""
        if self._stopping is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    # ----------------------------------------------------------------- the pipeline

    async def handle_api(
        self, request: web.Request, method: str, path_token: str | None = None
    ) -> web.StreamResponse:
        """Serve one API call through record → fault → auth → rate limit → fault on the
        answer → handler."""
        headers = CIMultiDict(request.headers)
        try:
            params, body_format = await read_params(request)
        except BadBody as exc:
            call = self.recorder.add(Call(method, {}, headers, "invalid"))
            reply = self.bad_body_reply(str(exc))
        else:
            params = self.decode_params(params)
            call = self.recorder.add(Call(method, params, headers, body_format))
            api_request = ApiRequest(method, params, headers, path_token)
            try:
                reply = await self._answer(call, api_request)
            except Exception as exc:  # a bug in the emulator: make it loud, not a mystery 500
                self.internal_errors.append(traceback.format_exc())
                reply = Reply({"ok": False, "emulator_internal_error": repr(exc)}, 500)
        self.recorder.finish(call, reply.status, reply.body)
        self.changed()
        return reply.to_response()

    async def _answer(self, call: Call, request: ApiRequest) -> Reply:
        fault = self.faults.take(request.method, request.params)
        if fault is not None:
            call.fault = fault.describe()
            if fault.kind == "hang":
                await self.sleep(fault.seconds)
            else:
                return self.fault_reply(fault, request)
        denied = self.check_auth(request)
        if denied is not None:
            return denied
        wait = self.limits.acquire(request.method, request.params)
        if wait is not None:
            return self.rate_limited_reply(wait, request)
        if fault is None:  # a fault on the answer: only for a call that is performed
            fault = self.faults.take(request.method, request.params, after_the_call=True)
            if fault is not None:
                call.fault = fault.describe()
        reply = await self.call_method(request)
        if fault is not None and fault.kind == "late":
            self.changed()  # the call took effect: waiters may look now
            await self.sleep(fault.seconds)
        elif fault is not None and fault.reshape is not None and reply.status == 200:
            reply = Reply(fault.reshape(copy.deepcopy(reply.body)), reply.status, reply.headers)
        return reply

    # ----------------------------------------------------------------- subclass hooks

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def decode_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Give form-encoded values their types (JSON objects, ints) where that is certain.

        What the recorder keeps and the handlers see; undecodable values stay as they are,
        so the handler can answer with the platform's own error.
        """
        return params

    def check_auth(self, request: ApiRequest) -> Reply | None:
        """None when the caller may use the API, else the platform's refusal."""
        raise NotImplementedError

    async def call_method(self, request: ApiRequest) -> Reply:
        raise NotImplementedError

    def fault_reply(self, fault: Fault, request: ApiRequest) -> Reply:
        raise NotImplementedError

    def rate_limited_reply(self, wait: float, request: ApiRequest) -> Reply:
        raise NotImplementedError

    def bad_body_reply(self, message: str) -> Reply:
        raise NotImplementedError
