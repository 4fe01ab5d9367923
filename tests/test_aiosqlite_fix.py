"""A SQLite connection stopped while its graceful close runs still closes (bot/aiosqlite_fix.py).

SQLAlchemy does exactly this when a task is cancelled while it terminates a connection:
it stops the connection's thread, and the graceful close it had started goes on. Before
the fix the close waited forever for a thread that had already exited — a task that never
ended kept the event loop (a test's, or ``leadbot serve`` at shutdown) from closing.
"""

from __future__ import annotations

import asyncio

import aiosqlite

import bot.db  # noqa: F401  (applies the fix)


async def test_a_close_overtaken_by_a_stop_still_ends() -> None:
    connection = await aiosqlite.connect(":memory:")
    closing = asyncio.ensure_future(connection.close())  # queued behind nothing: runs first
    await asyncio.sleep(0)
    stopped = connection.stop()  # the forced stop after a cancellation
    await asyncio.wait_for(closing, 10)  # a hang guard; it ends at once
    assert closing.done() and closing.exception() is None
    # The worker thread answers the stop last: wait for it, or it would answer a loop
    # that this test has closed (an "Event loop is closed" in the thread).
    assert stopped is not None
    await asyncio.wait_for(stopped, 10)


async def test_stopping_twice_is_harmless() -> None:
    connection = await aiosqlite.connect(":memory:")
    first = connection.stop()
    assert first is not None
    await asyncio.wait_for(first, 10)
    assert connection.stop() is None  # nothing left to stop, nothing to wait for
    await asyncio.wait_for(connection.close(), 10)
