"""A fix for aiosqlite 0.22: closing a connection that was already stopped hangs forever.

``aiosqlite.Connection.stop()`` queues a "stop" item for the connection's worker thread
and returns a future that the thread resolves before it exits. ``close()`` always calls
``stop()`` at its end and awaits that future. When a connection is stopped twice — as
SQLAlchemy does when a task is cancelled while it terminates a connection (the forced
stop, then the graceful close it had started finishing) — the thread has already exited
after the first stop, the second future is never resolved, and the task awaiting it can
never end: it kept a test's event loop from closing, and would keep ``leadbot serve``
from exiting after a shutdown that cancelled a session's close on SQLite.

The fix: a second ``stop()`` queues nothing and returns no future (``close()`` then does
not wait), since the first one already stops the thread. Applied once, when
:mod:`bot.db` is imported.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite


def _stop_once(original: Any) -> Any:
    def stop(self: aiosqlite.Connection) -> asyncio.Future[Any] | None:
        if not getattr(self, "_running", True):  # stopped before: the thread is ending
            return None
        return original(self)

    stop.__doc__ = original.__doc__
    stop.__wrapped__ = original  # type: ignore[attr-defined]
    return stop


def apply() -> None:
    """Make ``aiosqlite.Connection.stop`` idempotent (once per process)."""
    current = aiosqlite.Connection.stop
    if getattr(current, "__wrapped__", None) is None:
        aiosqlite.Connection.stop = _stop_once(current)  # type: ignore[method-assign]
