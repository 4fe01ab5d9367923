"""One SQLite writer at a time per process, queued in asyncio instead of in SQLite.

SQLite has a single write lock. Every transaction of the application (except the ones
marked :data:`bot.db.READ_ONLY`) starts with ``BEGIN IMMEDIATE``, so under load many
pooled connections ask SQLite for that lock at once. SQLite does not queue them: each
loser sleeps in its busy handler (1, 2, 5, 10 ... 100 ms steps) and tries again, so with
32 concurrent requests most of the time went to sleeping while the lock was free, and the
order was random (the issue measured intake p99 of 5.2 s; one connection: 1.1 s).

The gate is a lock taken just before ``BEGIN IMMEDIATE`` and given back when the
connection returns to the pool (after its commit or rollback). Writers of this process
then wait in FIFO order without sleeping, and the read-only sessions keep running beside
them on their own connections. Other processes on the same file still meet at SQLite's
lock (``busy_timeout``), as before.

Short transactions that finish something already promised — the outbox marking a notice
sent, taking the next batch — are marked :data:`bot.db.URGENT` and wait in a queue of
their own that goes first: with 200 leads posted at once, a teaser would otherwise wait
behind every lead still queued (seconds) at each of its steps.

Waiting for the gate is bounded like SQLite's busy timeout: after ``timeout`` seconds the
transaction fails with :class:`WriterGateTimeout`, never hangs for good.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.util import await_only

_HELD = "leadbot_writer_gate"


class WriterGateTimeout(TimeoutError):
    """Another transaction of this process held the SQLite write lock for too long."""


class _PriorityLock:
    """A FIFO lock with two queues; the urgent one is served first.

    The lock is handed straight to the next waiter on release, so nobody can overtake
    the queue between a release and the waiter waking up.
    """

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def locked(self) -> bool:
        return self._held

    async def acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._normal:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # it was handed to us just as we gave up: pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # handed over: stays held
                    return
        self._held = False


class WriterGate:
    """The per-event-loop write lock of one SQLite engine."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # A lock belongs to one event loop; tests and CLI commands may run several in turn.
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PriorityLock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> _PriorityLock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = _PriorityLock()
        return lock

    def enter(self, info: dict[str, Any], *, urgent: bool = False) -> None:
        """Wait for the gate (called from SQLAlchemy's sync code inside the async driver)."""
        if info.get(_HELD) is not None:
            return  # this connection already holds it (a nested begin)
        lock = self._lock()
        try:
            await_only(asyncio.wait_for(lock.acquire(urgent), self.timeout))
        except TimeoutError:
            raise WriterGateTimeout(
                f"waited {self.timeout:.0f} s for the SQLite write lock held by another "
                "transaction of this process"
            ) from None
        info[_HELD] = lock

    @staticmethod
    def leave(info: dict[str, Any]) -> None:
        lock: _PriorityLock | None = info.pop(_HELD, None)
        if lock is not None and lock.locked:
            lock.release()


def install(sync_engine: Engine, gate: WriterGate) -> None:
    """Give ``gate`` back whenever a connection of ``sync_engine`` returns to the pool.

    SQLAlchemy checks in every connection it checked out — after a commit, a rollback, a
    closed session or an invalidated connection alike — so a failing transaction cannot
    keep the gate. (:mod:`bot.db` takes it in its ``begin`` hook.)
    """

    @event.listens_for(sync_engine.pool, "checkin")
    def _release(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            gate.leave(record.info)

    @event.listens_for(sync_engine.pool, "close")
    def _release_on_close(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            gate.leave(record.info)
