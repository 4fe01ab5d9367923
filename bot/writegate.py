"""One SQLite writer of this process at a time, the sender's before intake's.

SQLite has one write lock, and a connection that asks for it while another holds it does
not queue: it sleeps in SQLite's busy handler (1, 2, 5 … up to 100 ms) and asks again.
During a burst of leads the intake batches took the lock one after another, each asking
right as the last one committed, while the sender's short transactions — claiming the
teasers, marking them sent — slept between their tries: measured on a 200-lead burst,
they waited 15 ms on average and up to 0.44 s for ``BEGIN IMMEDIATE``, and each such
wait held up every teaser of the pass. The leads then waited for the sender, not for the
database.

So the writers that run most — intake, the sender's claims and outcomes — take a turn at
this gate before their unit of work checks out a connection, and the gate hands the turn
to the most urgent waiter (lowest :class:`Turn`), then the longest waiting. Only one of
them asks SQLite for the lock at a time, so they never sleep in the busy handler for
each other. Other writers (a press, the scheduler) and other processes still meet them
at SQLite's lock as before; the gate orders this process's busiest writers, it decides
nothing. Waiting happens before a connection is taken, so a task cancelled while it waits
(a shutdown) holds nothing that would need cleaning up.

PostgreSQL locks rows, not the database: there is no gate there (:meth:`turn` is then
not used; see :meth:`bot.runtime.Runtime.uow`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import IntEnum


class Turn(IntEnum):
    """Who waits at the gate; a lower value goes first."""

    SENDER = 1
    """Claiming outbox rows and recording their outcomes: short, and teasers wait on them."""
    INTAKE = 2
    """Storing a batch of new leads."""


class WriteGate:
    """A lock whose waiters are served by :class:`Turn`, then in order of arrival."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @property
    def held(self) -> bool:
        return self._held

    @asynccontextmanager
    async def turn(self, who: Turn) -> AsyncIterator[None]:
        """Hold the gate for the body of the ``async with``."""
        await self._acquire(who)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, who: Turn) -> None:
        if not self._held:
            self._held = True
            return
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (int(who), next(self._arrivals), handed))
        try:
            await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self._release()  # the turn came as the waiter was cancelled: pass it on
            raise

    def _release(self) -> None:
        """Hand the gate to the next waiter still waiting, or open it."""
        while self._waiting:
            _, _, handed = heapq.heappop(self._waiting)
            if not handed.done():
                handed.set_result(None)
                return
        self._held = False
