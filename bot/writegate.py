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
this gate before their unit of work checks out a connection, and give it back right after
their commit. The gate hands the turn to the sender before intake, each in order of
arrival, but never more than :data:`SENDER_STREAK` sender turns in a row while a batch of
leads waits: a backlog of teasers (after a platform outage) must not starve intake. Only
one of them asks SQLite for the lock at a time, so they never sleep in the busy handler
for each other. Other writers (a press, the scheduler) and other processes still meet
them at SQLite's lock as before; the gate orders this process's busiest writers, it
decides nothing. Waiting happens before a connection is taken, so a task cancelled while
it waits (a shutdown) holds nothing that would need cleaning up.

PostgreSQL locks rows, not the database: there is no gate there (see
:meth:`bot.runtime.Runtime.uow`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum

SENDER_STREAK = 4
"""Sender turns in a row at most while intake waits (then one batch of leads goes)."""


class Turn(Enum):
    """Who waits at the gate."""

    SENDER = "sender"
    """Claiming outbox rows and recording their outcomes: short, and teasers wait on them."""
    INTAKE = "intake"
    """Storing a batch of new leads."""


class WriteGate:
    """A lock whose waiters are served sender first (at most :data:`SENDER_STREAK` in a row
    while intake waits), each kind in order of arrival."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: dict[Turn, deque[asyncio.Future[None]]] = {t: deque() for t in Turn}
        self._streak = 0

    @property
    def held(self) -> bool:
        return self._held

    @asynccontextmanager
    async def turn(self, who: Turn) -> AsyncIterator[None]:
        """Hold the gate for the body of the ``async with``."""
        await self.acquire(who)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, who: Turn) -> None:
        if not self._held:
            self._held = True
            self._count(who)
            return
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[who].append(handed)
        try:
            await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self.release()  # the turn came as the waiter was cancelled: pass it on
            raise

    def release(self) -> None:
        """Hand the gate to the next waiter still waiting, or open it."""
        while True:
            who = self._next()
            if who is None:
                self._held = False
                return
            handed = self._waiting[who].popleft()
            if not handed.done():  # not cancelled while it waited
                self._count(who)
                handed.set_result(None)
                return

    def _next(self) -> Turn | None:
        senders, batches = self._waiting[Turn.SENDER], self._waiting[Turn.INTAKE]
        if senders and not (batches and self._streak >= SENDER_STREAK):
            return Turn.SENDER
        if batches:
            return Turn.INTAKE
        return None

    def _count(self, who: Turn) -> None:
        self._streak = self._streak + 1 if who is Turn.SENDER else 0
