"""How many API leads one process stores at once; the rest wait their turn, in order.

Without a bound, 200 leads posted at once become 200 transactions that each hold a
database connection while they wait for the database (SQLite has one writer; a
PostgreSQL pool has ``pool_size`` connections plus as many overflow). The connections run
out, and then everything else in the process waits behind the leads for one: the outbox
sender that would post the first leads' teasers, a Claim press, ``/healthz``. With a
bound, waiting leads hold nothing but their place in the queue, the teasers of the first
ones go out while later ones are still being stored, and the other work finds a free
connection.

The bound is :func:`slots_for` of the database: a few on SQLite (one writer at a time;
a few keep it busy while the next request is parsed), ``pool_size`` on PostgreSQL (the
overflow stays free for the rest).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import DatabaseSettings
from bot.db import is_sqlite

SQLITE_SLOTS = 4


def slots_for(settings: DatabaseSettings) -> int:
    return SQLITE_SLOTS if is_sqlite(settings.url) else settings.pool_size


class IntakeSlots:
    """A FIFO bound on concurrent intake transactions (one semaphore per event loop)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.size)
        async with semaphore:
            yield
