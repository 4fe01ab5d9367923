"""Every API call an emulator receives, kept so tests can assert what the bot sent.

Tests assert on what the platform *saw* (method, parameters, headers, the answer it gave),
not on what our code believes it sent; that is what makes the emulators worth having.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One request to an emulated API method, filled in with the answer once it is sent."""

    method: str
    params: dict[str, Any]
    headers: Mapping[str, str]  # case-insensitive: call.headers["authorization"] works
    body_format: str  # "json", "form", "multipart" or "query"
    at: float = field(default_factory=time.time)
    status: int | None = None
    response: Any = None
    fault: str | None = None  # set when an injected fault answered (or delayed) this call

    @property
    def ok(self) -> bool:
        """True when the platform answered with success (HTTP 2xx and ``"ok": true``)."""
        if self.status is None or not 200 <= self.status < 300:
            return False
        return not isinstance(self.response, dict) or self.response.get("ok", True) is not False

    def matches(self, method: str | None, filters: dict[str, Any]) -> bool:
        if method is not None and self.method != method:
            return False
        return all(_same(self.params.get(key), want) for key, want in filters.items())

    def __repr__(self) -> str:
        return f"<Call {self.method} {self.status} {self.params!r}>"


def _same(have: Any, want: Any) -> bool:
    """Compare a recorded parameter with a filter value; form bodies carry strings only."""
    if have == want:
        return True
    return have is not None and str(have) == str(want)


class CallRecorder:
    """A thread-safe list of :class:`Call` with query helpers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def add(self, call: Call) -> Call:
        with self._lock:
            self._calls.append(call)
        return call

    def finish(self, call: Call, status: int, response: Any) -> None:
        with self._lock:
            call.status = status
            call.response = copy.deepcopy(response)

    def calls(self, method: str | None = None, **filters: Any) -> list[Call]:
        """Finished calls (answered), oldest first, optionally by method and parameter values.

        ``calls("chat.postMessage", channel="C1")`` — filters compare parameters by value,
        with strings and numbers considered equal when their text is (form bodies).
        """
        with self._lock:
            return [c for c in self._calls if c.status is not None and c.matches(method, filters)]

    def in_progress(self, method: str | None = None) -> list[Call]:
        """Calls received but not answered yet (a long poll, a hang, a slow handler)."""
        with self._lock:
            return [c for c in self._calls if c.status is None and c.matches(method, {})]

    def last(self, method: str | None = None, **filters: Any) -> Call | None:
        found = self.calls(method, **filters)
        return found[-1] if found else None

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def summary(self, limit: int = 10) -> str:
        """The last calls, one a line: for error messages when a wait times out."""
        with self._lock:
            recent = self._calls[-limit:]
        if not recent:
            return "  (no calls)"
        return "\n".join(
            f"  {c.method} -> {c.status} {_short(c.response)} params={_short(c.params)}"
            for c in recent
        )


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
