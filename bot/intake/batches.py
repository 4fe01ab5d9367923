"""API leads that arrive together are stored together: one transaction for several leads.

Each lead's transaction has a fixed cost besides the lead itself: the ``BEGIN`` (on
SQLite, the wait for the one write lock), the change stamp of the read API's feed
(:mod:`bot.crm.changes`), the commit and the wake-up of the senders. When leads arrive
faster than they are stored, they queue here anyway; the next free *slot* then takes every
lead waiting (up to :data:`MAX_BATCH`) and stores them in one unit of work — group commit.
One lead alone is stored alone, at once, as before.

Storing a batch is exactly storing its leads one after the other
(:func:`bot.intake.storing.store_batch`): a repeated ``external_id`` in the same batch gets
the first one's lead, a second lead of the same company is held as a possible duplicate.
A lead refused on its own (an erased lead's ``external_id``) leaves the others alone; if
the batch's transaction fails for another reason, every lead of it is stored again on its
own, so one bad lead can fail only itself, and every answer tells the truth. A batch
that fails as a whole (the database does not answer) fails the leads waiting behind it
too, at once: each batch would otherwise wait for its own timeout before its 503.

The slots bound how many transactions one process runs for API leads at once: waiting
leads hold nothing but their place in the queue, the sender and Claim presses find a free
connection, and the teasers of the first leads go out while later ones are stored.
:func:`slots_for` gives one on SQLite (one writer at a time: a second batch would only
wait for the lock, and the queue behind one slot makes the largest batches; measured
faster than two or four) and :data:`POSTGRES_SLOTS` on PostgreSQL, where transactions do
run side by side and overlap their round trips (the rest of the pool stays free for the
presses and the sender).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.config import DatabaseSettings
from bot.db import is_sqlite

SQLITE_SLOTS = 1
POSTGRES_SLOTS = 2
"""Batches at once on PostgreSQL (at most ``pool_size``). Since leads of a batch are
written together (:mod:`bot.intake.together`), a lead in a batch costs a third of a lead
alone; with a slot per pooled connection (10) a process rarely had a queue, so its
batches held one lead each. Two keep the batches large and still overlap one batch's
round trips with the other's work (measured: three processes 98–108 → 124–131 leads/s at
32 clients, 12–16 → 9.5–9.8 ms of CPU per lead; one slot was faster still on this
machine's loopback database, where a round trip costs nothing)."""
MAX_BATCH = 16
"""Most leads in one transaction: a larger batch gains little and makes its first lead
wait longer for its answer and its teaser."""

In = TypeVar("In")
Out = TypeVar("Out")

StoreBatch = Callable[[Sequence[In]], Awaitable[Sequence[Out | BaseException]]]
"""Stores the leads given, in order; for each, its result or the exception it failed with.
Raises only when the batch failed as a whole (the database does not answer)."""


def slots_for(settings: DatabaseSettings) -> int:
    return SQLITE_SLOTS if is_sqlite(settings.url) else min(POSTGRES_SLOTS, settings.pool_size)


@dataclass(eq=False)
class _Waiting(Generic[In, Out]):
    item: In
    answer: asyncio.Future[Out]
    taken: bool = False
    """A slot has taken it into a batch (the answer follows when that batch is done)."""


@dataclass
class _Queue(Generic[In, Out]):
    """One event loop's waiting leads and slots."""

    slots: asyncio.Semaphore
    waiting: deque[_Waiting[In, Out]] = field(default_factory=deque)


class IntakeBatches(Generic[In, Out]):
    """The queue of API leads of one process: FIFO, at most ``size`` batches at once."""

    def __init__(self, size: int, max_batch: int = MAX_BATCH) -> None:
        self.size = size
        self.max_batch = max_batch
        self.transactions = 0
        """Batches stored since start (``/metrics``): fewer than leads when they came together."""
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[In, Out]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def waiting(self) -> int:
        """Leads queued and not yet taken into a batch (``/metrics``)."""
        return sum(len(queue.waiting) for queue in list(self._queues.values()))

    def _queue(self) -> _Queue[In, Out]:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue(asyncio.Semaphore(self.size))
        return queue

    async def store(self, item: In, store_batch: StoreBatch[In, Out]) -> Out:
        """Queue ``item``; when a slot is free, store it with whatever waits behind it.

        The batch runs in a task of its own, so a caller that goes away (a client that
        hangs up) does not cut short the other leads of its batch."""
        queue = self._queue()
        mine: _Waiting[In, Out] = _Waiting(item, asyncio.get_running_loop().create_future())
        queue.waiting.append(mine)
        try:
            while not mine.taken:
                await queue.slots.acquire()
                if mine.taken:  # another slot took it while this one waited
                    queue.slots.release()
                    break
                batch = [
                    queue.waiting.popleft() for _ in range(min(self.max_batch, len(queue.waiting)))
                ]
                for waiting in batch:
                    waiting.taken = True
                self.transactions += 1
                running = asyncio.ensure_future(self._run(batch, store_batch, queue))
                await asyncio.shield(running)
            return await mine.answer
        except asyncio.CancelledError:
            if not mine.taken:
                queue.waiting.remove(mine)  # never stored
            mine.answer.add_done_callback(_consume)  # stored without anyone to tell
            raise

    @staticmethod
    async def _run(
        batch: list[_Waiting[In, Out]], store_batch: StoreBatch[In, Out], queue: _Queue[In, Out]
    ) -> None:
        try:
            results: Sequence[Out | BaseException] = await store_batch([w.item for w in batch])
        except asyncio.CancelledError:  # the process is stopping
            for waiting in batch:
                waiting.answer.cancel()
            raise
        except Exception as exc:
            # The batch as a whole failed: the database does not answer (a lead's own
            # failure comes back as its result). The leads queued behind it would wait for
            # the same stall, a timeout per batch; they get the answer now (a 503).
            while queue.waiting:
                behind = queue.waiting.popleft()
                behind.taken = True
                batch.append(behind)
            results = [exc] * len(batch)
        finally:
            queue.slots.release()
        for waiting, result in zip(batch, results, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(result, BaseException):
                waiting.answer.set_exception(result)
            else:
                waiting.answer.set_result(result)


def _consume(answer: asyncio.Future[object]) -> None:
    """Retrieve the outcome of a lead whose caller went away (no "never retrieved" noise)."""
    if not answer.cancelled():
        answer.exception()
