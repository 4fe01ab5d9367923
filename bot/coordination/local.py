"""In-process coordination: one bot process, or a process whose Redis is unreachable.

Time comes from the runtime's clock, so a test moves rate buckets, leases and expiries
forward with a ``ManualClock`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from bot.clock import Clock, SystemClock
from bot.coordination.protocol import Bucket, Grant, Leases, seconds


class LocalCoordination:
    """Everything in this process's memory; leases optionally in the database.

    ``leases`` (e.g. :class:`bot.coordination.database.DatabaseLeases`) makes the
    single-runner jobs safe even when several processes share one database without Redis;
    without it a lease is only this process's (enough for one process).
    """

    def __init__(self, clock: Clock | None = None, leases: Leases | None = None) -> None:
        self._clock: Clock = clock or SystemClock()
        self._shared_leases = leases
        self._seen: dict[str, float] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._values: dict[str, tuple[str, float]] = {}

    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        now = seconds(self._clock)
        if len(self._seen) > 100_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        expires = self._seen.get(key)
        if expires is not None and expires > now:
            return False
        self._seen[key] = now + ttl_seconds
        return True

    async def take_token(self, bucket: str, rate_per_second: float, burst: int) -> float:
        return (await self.take_tokens([[Bucket(bucket, rate_per_second, burst)]]))[0].wait

    async def take_tokens(self, requests: Sequence[Sequence[Bucket]]) -> list[Grant]:
        now = seconds(self._clock)
        level: dict[str, float] = {}
        for request in requests:
            for name, rate, burst in request:
                if name not in level:
                    tokens, last = self._buckets.get(name, (float(burst), now))
                    level[name] = min(float(burst), tokens + max(0.0, now - last) * rate)
        grants: list[Grant] = []
        for request in requests:
            short = [(1.0 - level[b.name]) / b.rate for b in request if level[b.name] < 1.0]
            if short:
                worst = max(range(len(short)), key=short.__getitem__)
                names = [b.name for b in request if level[b.name] < 1.0]
                grants.append(Grant(short[worst], names[worst]))
                continue
            for bucket in request:
                level[bucket.name] -= 1.0
            grants.append(Grant(0.0, None))
        for name, tokens in level.items():
            self._buckets[name] = (tokens, now)
        return grants

    async def hold_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        if self._shared_leases is not None:
            return await self._shared_leases.hold_lease(name, holder, ttl_seconds)
        now = seconds(self._clock)
        current = self._leases.get(name)
        if current is None or current[0] == holder or current[1] <= now:
            self._leases[name] = (holder, now + ttl_seconds)
            return True
        return False

    async def release_lease(self, name: str, holder: str) -> None:
        if self._shared_leases is not None:
            await self._shared_leases.release_lease(name, holder)
            return
        current = self._leases.get(name)
        if current is not None and current[0] == holder:
            del self._leases[name]

    def _event(self, topic: str) -> asyncio.Event:
        event = self._events.get(topic)
        if event is None:
            event = self._events[topic] = asyncio.Event()
        return event

    async def wake(self, topic: str) -> None:
        self._event(topic).set()

    async def wait(self, topic: str, timeout: float) -> None:
        event = self._event(topic)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    async def put(self, key: str, value: str, ttl_seconds: int) -> None:
        self._values[key] = (value, seconds(self._clock) + ttl_seconds)

    async def get(self, key: str) -> str | None:
        found = self._values.get(key)
        if found is None or found[1] <= seconds(self._clock):
            self._values.pop(key, None)
            return None
        return found[0]

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def close(self) -> None:
        return None
