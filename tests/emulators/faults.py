"""Injected failures: "the next N calls to method X fail / error / hang / are rate limited".

Retries, back-off and "nothing is lost when the platform is down" are only testable if the
platform can be made to misbehave on cue. Each emulator renders a fault in its platform's
shape (Slack: ``{"ok": false, "error": ...}``; Telegram: ``error_code`` + ``description``).

Two faults let the call *succeed* and spoil only its answer — what a crash or a flaky
proxy looks like from the bot's side: ``late`` holds a performed call's answer back (the
message is posted, the bot does not know yet), ``reshape`` answers in a slightly different
JSON shape than the platform's documented one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["status", "error", "hang", "rate_limit", "late", "reshape"]
Predicate = Callable[[dict[str, Any]], bool]
Reshape = Callable[[Any], Any]


@dataclass
class Fault:
    """One armed fault. ``remaining`` counts down as matching calls consume it."""

    kind: FaultKind
    method: str  # "*" matches every method
    remaining: int
    status: int | None = None  # HTTP status to answer with (None: the platform's default)
    error: str | None = None  # platform error code (Slack) or description (Telegram)
    seconds: float = 0.0  # hang/late: delay before answering; rate_limit: retry hint
    when: Predicate | None = None
    reshape: Reshape | None = None  # reshape: turns the success answer's body into another

    @property
    def after_the_call(self) -> bool:
        """The call is performed; only its answer is spoiled (held back or reshaped)."""
        return self.kind in ("late", "reshape")

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        if self.remaining <= 0 or self.method not in ("*", method):
            return False
        return self.when is None or bool(self.when(params))

    def describe(self) -> str:
        detail = {
            "status": f"HTTP {self.status}",
            "error": f"error {self.error!r}",
            "hang": f"hang {self.seconds}s",
            "rate_limit": f"429 retry after {self.seconds}s",
            "late": f"performed, answer held {self.seconds}s",
            "reshape": "performed, answer reshaped",
        }[self.kind]
        return f"{self.method}: {detail}"


class FaultInjector:
    """Arms faults and hands the next matching one to the server. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def fail(
        self, method: str, *, times: int = 1, status: int = 500, when: Predicate | None = None
    ) -> Fault:
        """The next ``times`` calls to ``method`` answer HTTP ``status`` (a server failure)."""
        return self._arm(Fault("status", method, times, status=status, when=when))

    def error(
        self,
        method: str,
        error: str,
        *,
        times: int = 1,
        status: int | None = None,
        when: Predicate | None = None,
    ) -> Fault:
        """The next ``times`` calls answer with a platform API error.

        Slack: ``error("chat.postMessage", "channel_not_found")`` (HTTP 200, ``ok: false``).
        Telegram: ``error("sendMessage", "Forbidden: bot was blocked by the user",
        status=403)`` (``status`` defaults to 400).
        """
        return self._arm(Fault("error", method, times, status=status, error=error, when=when))

    def hang(
        self, method: str, seconds: float, *, times: int = 1, when: Predicate | None = None
    ) -> Fault:
        """The next ``times`` calls wait ``seconds`` before being answered normally.

        A client with a shorter timeout sees a timeout; a patient one sees a slow platform.
        Stopping the emulator ends the wait at once.
        """
        return self._arm(Fault("hang", method, times, seconds=seconds, when=when))

    def rate_limit(
        self,
        method: str,
        retry_after: float = 1,
        *,
        times: int = 1,
        when: Predicate | None = None,
    ) -> Fault:
        """The next ``times`` calls get the platform's 429 with this retry hint (seconds)."""
        return self._arm(Fault("rate_limit", method, times, seconds=retry_after, when=when))

    def late(
        self, method: str, seconds: float, *, times: int = 1, when: Predicate | None = None
    ) -> Fault:
        """The next ``times`` calls take effect at once, but their answer is held for
        ``seconds`` (or until the emulator stops): the platform has the message, the bot
        has not heard so yet. A client with a shorter timeout sees a timeout."""
        return self._arm(Fault("late", method, times, seconds=seconds, when=when))

    def reshape(
        self,
        method: str,
        reshape: Reshape,
        *,
        times: int = 1,
        when: Predicate | None = None,
    ) -> Fault:
        """The next ``times`` successful calls take effect, but their JSON answer is
        ``reshape(answer)`` — e.g. a field renamed, the result wrapped one level deeper."""
        return self._arm(Fault("reshape", method, times, when=when, reshape=reshape))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def armed(self) -> list[Fault]:
        """Faults that still have calls left to spoil."""
        with self._lock:
            return [f for f in self._faults if f.remaining > 0]

    def take(
        self, method: str, params: dict[str, Any], *, after_the_call: bool = False
    ) -> Fault | None:
        """The first armed fault for this call, consuming one of its uses: one that stands
        in for the call, or (``after_the_call``) one that spoils the answer of a call that
        is performed — asked for only once the call passed authentication and the rate
        limit, so that a call answered 429 does not use up a "late" post that never took
        effect."""
        with self._lock:
            for fault in self._faults:
                if fault.after_the_call == after_the_call and fault.applies(method, params):
                    fault.remaining -= 1
                    return fault
            return None

    def _arm(self, fault: Fault) -> Fault:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)
        return fault
