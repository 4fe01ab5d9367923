"""Redis when it answers, the database and this process when it does not.

Redis is an accelerator for several processes, never a condition for correctness: every
operation of :class:`FallbackCoordination` tries Redis with short timeouts and, on any
Redis or connection error, answers from a fallback instead of raising:

========================  =============================================================
operation                 while Redis does not answer
========================  =============================================================
``first_time`` (de-dup)   the database (``seen_deliveries``), shared by all processes
``take_token(s)``         this process's buckets: each process paces alone, so N
                          processes may send up to N times the rate (the platforms then
                          answer 429 and the sender honours ``Retry-After``)
``wake`` / ``wait``       this process's waiters at once; others find the work when they
                          poll (``[outbox] poll_seconds``)
``put`` / ``get``         this process's memory: a Telegram multi-step input started on
                          another process is forgotten (the user starts it again)
``delete``                this process's memory; Redis's copy is deleted once Redis
                          answers again (until then this process ignores it)
``hold_lease``            always the database (:mod:`bot.coordination.database`)
========================  =============================================================

A value deleted while Redis was away would otherwise come back with it: a Telegram
question the user cancelled during the outage was asked again by its key, still in Redis
for the rest of its 15 minutes. Such deletes are remembered (the newest
:data:`MAX_PENDING_DELETES`) and done when Redis answers again — at once when the breaker
sees it back, and before any ``get`` or ``put`` of the key. A value another process put
under the same key in that moment may be deleted with it: the user starts that input again.

A circuit breaker keeps a dead Redis from costing every request a timeout: after a
failure Redis is skipped for ``retry_seconds``, then a background probe (one ``PING``)
decides whether to use it again — no request waits on a Redis known to be away. The
transitions go to the health board as part ``"redis"`` (``/healthz``): *degraded* with the
error's type while the fallbacks answer, *ok* again when Redis does. The breaker counts in
monotonic seconds, not the runtime's clock: it is about a server's behaviour, not
business time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from redis.exceptions import RedisError

from bot.coordination.database import DatabaseLeases, DatabaseSeen
from bot.coordination.local import LocalCoordination
from bot.coordination.protocol import Bucket, Grant
from bot.coordination.redis_backend import RedisCoordination
from bot.health import HealthBoard, State

log = logging.getLogger(__name__)

T = TypeVar("T")

PART = "redis"
"""The health board's name for this part."""

OPERATION_TIMEOUT_SECONDS = 3.0
"""Upper bound on one Redis operation including the wait for a pooled connection (the
client's own timeouts normally end it sooner)."""

RETRY_SECONDS = 3.0
"""After a failure, how long Redis is skipped before a probe asks whether it is back."""

MAX_PENDING_DELETES = 10_000
"""Deletes kept for Redis while it is away; beyond that the oldest are dropped (their keys
are put with a time to live of minutes, so most have expired in Redis by then)."""

REDIS_FAILURES = (RedisError, OSError, TimeoutError)
"""What counts as "Redis is not answering" (connection refused or reset, timeouts, a pool
without a free connection, an error reply such as OOM or READONLY)."""


class FallbackCoordination:
    """The coordination of a process with ``[redis] url`` set (see the module docstring)."""

    def __init__(
        self,
        redis: RedisCoordination,
        local: LocalCoordination,
        seen: DatabaseSeen,
        leases: DatabaseLeases,
        health: HealthBoard | None = None,
        *,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.redis = redis
        self.local = local
        self._seen = seen
        self._leases = leases
        self._health = health
        self._retry_seconds = retry_seconds
        self._state: State | None = None  # None until Redis first answered or failed
        self._skip_until = 0.0
        self._probe: asyncio.Task[None] | None = None
        self._pending_deletes: dict[str, None] = {}
        """Keys deleted while Redis was away, oldest first: still to delete there."""
        self._replay: asyncio.Task[None] | None = None
        self._closed = False

    # --- the breaker ------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """True while the fallbacks answer instead of Redis."""
        return self._state is State.DEGRADED

    def _usable(self) -> bool:
        if self._state is not State.DEGRADED:
            return True
        due = time.monotonic() >= self._skip_until and not self._closed
        if due and (self._probe is None or self._probe.done()):
            self._probe = asyncio.create_task(self._probe_once(), name="redis-probe")
        return False

    async def _probe_once(self) -> None:
        with contextlib.suppress(*REDIS_FAILURES):  # ping() noted it; retried later
            await self.ping()

    def _answered(self) -> None:
        if self._state is State.OK:
            return
        if self._state is State.DEGRADED:
            log.info("redis answers again; coordination is shared through it")
        self._state = State.OK
        if self._health is not None:
            self._health.report(PART, State.OK)
        idle = self._replay is None or self._replay.done()
        if self._pending_deletes and idle and not self._closed:
            self._replay = asyncio.create_task(self._delete_pending(), name="redis-deletes")

    def _failed(self, exc: BaseException) -> None:
        self._skip_until = time.monotonic() + self._retry_seconds
        if self._state is State.DEGRADED:
            return
        self._state = State.DEGRADED
        reason = type(exc).__name__  # never the text: it can carry the URL and password
        log.warning(
            "redis is not answering (%s); using the database and this process until it does",
            reason,
        )
        if self._health is not None:
            self._health.report(PART, State.DEGRADED, f"{reason}; using the database")

    async def _redis_or(
        self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        """``primary()`` on Redis if it is usable and answers in time, else ``fallback()``."""
        if self._usable():
            try:
                async with asyncio.timeout(OPERATION_TIMEOUT_SECONDS):
                    result = await primary()
            except REDIS_FAILURES as exc:
                self._failed(exc)
            else:
                self._answered()
                return result
        return await fallback()

    async def _nothing(self) -> None:
        return None

    # --- the operations ---------------------------------------------------------------

    async def ping(self) -> bool:
        """Ask Redis directly, breaker or not (``/healthz``, the probe); raises if it fails."""
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT_SECONDS):
                answer = await self.redis.ping()
        except REDIS_FAILURES as exc:
            self._failed(exc)
            raise
        self._answered()
        return answer

    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        return await self._redis_or(
            lambda: self.redis.first_time(key, ttl_seconds),
            lambda: self._seen.first_time(key, ttl_seconds),
        )

    async def take_token(self, bucket: str, rate_per_second: float, burst: int) -> float:
        return (await self.take_tokens([[Bucket(bucket, rate_per_second, burst)]]))[0].wait

    async def take_tokens(self, requests: Sequence[Sequence[Bucket]]) -> list[Grant]:
        return await self._redis_or(
            lambda: self.redis.take_tokens(requests), lambda: self.local.take_tokens(requests)
        )

    async def hold_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        return await self._leases.hold_lease(name, holder, ttl_seconds)

    async def release_lease(self, name: str, holder: str) -> None:
        await self._leases.release_lease(name, holder)

    async def wake(self, topic: str) -> None:
        await self.local.wake(topic)  # this process's waiters, whatever Redis does
        await self._redis_or(lambda: self.redis.publish(topic), self._nothing)

    async def wait(self, topic: str, timeout: float) -> None:
        await self.redis.wait(topic, timeout)  # its listener survives Redis going away

    async def put(self, key: str, value: str, ttl_seconds: int) -> None:
        async def in_redis() -> bool:
            await self.redis.put(key, value, ttl_seconds)
            return True

        async def here() -> bool:
            await self.local.put(key, value, ttl_seconds)
            return False

        if await self._redis_or(in_redis, here):
            self._pending_deletes.pop(key, None)  # Redis holds the new value now

    async def get(self, key: str) -> str | None:
        if key in self._pending_deletes and not await self._delete_in_redis(key):
            return await self.local.get(key)  # Redis's copy was deleted here
        found = await self._redis_or(lambda: self.redis.get(key), lambda: self.local.get(key))
        # A value put while Redis was away lives here until it expires or is deleted.
        return found if found is not None else await self.local.get(key)

    async def delete(self, key: str) -> None:
        await self.local.delete(key)
        self._pending_deletes.pop(key, None)
        self._pending_deletes[key] = None
        if await self._delete_in_redis(key):
            return
        if len(self._pending_deletes) > MAX_PENDING_DELETES:
            del self._pending_deletes[next(iter(self._pending_deletes))]  # the oldest

    async def _delete_in_redis(self, key: str) -> bool:
        """Delete ``key`` in Redis; False (and still pending) if Redis does not answer."""

        async def in_redis() -> bool:
            await self.redis.delete(key)
            self._pending_deletes.pop(key, None)
            return True

        async def later() -> bool:
            return False

        return await self._redis_or(in_redis, later)

    async def _delete_pending(self) -> None:
        """Redis is back: delete there what was deleted while it was away."""
        for key in list(self._pending_deletes):
            if key in self._pending_deletes and not await self._delete_in_redis(key):
                return  # away again: the next recovery goes on

    async def close(self) -> None:
        self._closed = True  # no new probe or replay from here on
        for task in (self._probe, self._replay):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.redis.close()
