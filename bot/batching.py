"""Many concurrent look-ups of the same kind answered by one query.

When 200 reps press Claim at the same moment, each press asks the database the same small
questions — who is this user, what is this offer's state, was this delivery seen — and each
question is a session, a connection check-out and a statement: most of a press's CPU time
went into that bookkeeping, not into the answers. A :class:`Batches` collects the keys that
are asked for while a query is running and answers them all with the next query (one
``WHERE key IN (...)``), the way a group commit collects writes: with one press at a time
it is one query per press as before; under a burst the number of queries stays small.

It is for reads that give the same answer whether asked alone or together (and for
idempotent writes such as the seen marks); a query that fails fails every caller of that
batch, who then handle the error as they would have their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, MutableMapping
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

Fetch = Callable[[list[K]], Awaitable[Mapping[K, V]]]


class Batches(Generic[K, V]):
    """Answers ``get(key)`` in batches: at most one ``fetch`` at a time, keys asked for
    meanwhile go into the next one (up to ``limit`` keys per fetch)."""

    def __init__(self, fetch: Fetch[K, V], limit: int = 500) -> None:
        self._fetch = fetch
        self._limit = limit
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._runner: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V | None:
        """The value ``fetch`` found for ``key``, or None when it found none."""
        loop = asyncio.get_running_loop()
        if self._runner is not None and self._runner.get_loop() is not loop:
            self._runner, self._waiting = None, {}  # left over from a loop that has ended
        future: asyncio.Future[V | None] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        await asyncio.sleep(0)  # let the callers that are ready right now join the first batch
        while self._waiting:
            keys = list(self._waiting)[: self._limit]
            batch = {key: self._waiting.pop(key) for key in keys}
            try:
                found = await self._fetch(keys)
            except asyncio.CancelledError:  # shutting down: nobody gets an answer
                for futures in (*batch.values(), *self._waiting.values()):
                    for future in futures:
                        future.cancel()
                self._waiting.clear()
                raise
            except Exception as error:
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(error)
                continue
            for key, futures in batch.items():
                for future in futures:
                    if not future.done():  # a caller that gave up (cancelled) is skipped
                        future.set_result(found.get(key))


def per_process(cache: MutableMapping[str, Any], name: str, make: Callable[[], T]) -> T:
    """The one ``name`` object of this process, kept in the runtime's ``cache`` (made by
    ``make`` when first asked for): the batches and the per-lead turns live as long as
    the runtime whose sessions they use."""
    found = cache.get(name)
    if found is None:
        found = cache[name] = make()
    return found  # type: ignore[no-any-return]
