"""Asserting on an emulator without sleeping: recorded calls and waits on its state.

Tests never sleep-and-hope. They wait for a condition on what the platform received
(``wait_for_call``) or holds (``wait_for(lambda: slack.last_message("C1"))``), and get a
readable error listing the recent calls when it does not come.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.emulators.recorder import Call, CallRecorder

T = TypeVar("T")


class Waiting:
    """Mixin for :class:`~tests.emulators.base.EmulatorServer`: queries and waits."""

    recorder: CallRecorder
    _changed: threading.Condition

    def calls(self, method: str | None = None, **filters: Any) -> list[Call]:
        """Answered calls, oldest first: ``calls("chat.postMessage", channel="C1")``."""
        return self.recorder.calls(method, **filters)

    def last_call(self, method: str | None = None, **filters: Any) -> Call | None:
        return self.recorder.last(method, **filters)

    def calls_in_progress(self, method: str | None = None) -> list[Call]:
        """Calls received and not answered yet, e.g. the bot's pending getUpdates long poll."""
        return self.recorder.in_progress(method)

    def clear_calls(self) -> None:
        self.recorder.clear()

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, message: str = "") -> T:
        """Block until ``predicate()`` is truthy and return its value; TimeoutError if not.

        For sync tests, or when the bot runs in another thread. In an async test whose event
        loop also runs the bot, use :meth:`wait_for_async` so the bot keeps running.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(predicate, timeout, message))
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    async def wait_for_async(
        self, predicate: Callable[[], T], timeout: float = 5.0, message: str = ""
    ) -> T:
        """Like :meth:`wait_for`, but yields to the caller's event loop while waiting."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(predicate, timeout, message))
            await asyncio.sleep(0.01)

    def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 5.0, **filters: Any
    ) -> list[Call]:
        """Block until at least ``count`` matching calls were answered; return them all."""
        return self.wait_for(
            self._enough_calls(method, count, filters),
            timeout,
            f"{count} call(s) to {method} {filters or ''}",
        )

    async def wait_for_call_async(
        self, method: str, count: int = 1, timeout: float = 5.0, **filters: Any
    ) -> list[Call]:
        return await self.wait_for_async(
            self._enough_calls(method, count, filters),
            timeout,
            f"{count} call(s) to {method} {filters or ''}",
        )

    def _enough_calls(
        self, method: str, count: int, filters: dict[str, Any]
    ) -> Callable[[], list[Call]]:
        def check() -> list[Call]:
            found = self.calls(method, **filters)
            return found if len(found) >= count else []

        return check

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float, what: str) -> str:
        what = what or getattr(predicate, "__name__", "condition")
        return (
            f"{type(self).__name__}: no {what} within {timeout}s; recent calls:\n"
            f"{self.recorder.summary()}"
        )
