"""What several bot processes must agree on, behind one small interface.

With Redis configured, de-duplication of platform retries, rate-limit buckets, the
scheduler's leader lease and sender wake-ups are shared by every process. Without Redis the
same interface runs in-process, which is all a single process on the embedded default needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import redis.asyncio as aioredis

from bot.clock import Clock, SystemClock

log = logging.getLogger(__name__)

CLOSE_SECONDS = 2.0
"""How long closing a Redis subscription may take before it is abandoned."""


class Bucket(NamedTuple):
    """A token bucket: ``rate`` tokens a second on average, at most ``burst`` at once."""

    name: str
    rate: float
    burst: int


class Grant(NamedTuple):
    """One request's answer: ``wait`` 0 if granted, else seconds until it could be, and
    the name of the bucket that was short."""

    wait: float
    short: str | None


class Coordination(Protocol):
    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        """True the first time ``key`` is seen within the TTL (for retried deliveries)."""
        ...

    async def take_token(self, bucket: str, rate_per_second: float, burst: int) -> float:
        """Take one token; return 0 if taken, else the seconds to wait before trying again."""
        ...

    async def take_tokens(self, requests: Sequence[Sequence[Bucket]]) -> list[Grant]:
        """For each request in order: one token from every bucket it names, or from none.

        All requests are answered in one step (one Redis round trip), so the outbox sender
        can ask for a whole batch of messages before it touches the database. A request
        short in any bucket takes nothing, not even from its other buckets.
        """
        ...

    async def hold_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Acquire or renew a lease; True while ``holder`` holds it."""
        ...

    async def wake(self, topic: str) -> None:
        """Tell waiters on ``topic`` (e.g. the outbox sender) that there is work."""
        ...

    async def put(self, key: str, value: str, ttl_seconds: int) -> None:
        """Store a short-lived value (e.g. "this Telegram user is typing a revenue")."""
        ...

    async def get(self, key: str) -> str | None: ...

    async def delete(self, key: str) -> None: ...

    async def wait(self, topic: str, timeout: float) -> None:
        """Return when woken on ``topic`` or after ``timeout`` seconds."""
        ...

    async def close(self) -> None: ...


def _seconds(clock: Clock) -> float:
    return clock.now().timestamp()


class LocalCoordination:
    """In-process implementation for a single bot process.

    Time comes from the runtime's clock, so a test moves rate buckets, leases and expiries
    forward with a ``ManualClock`` instead of sleeping.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or SystemClock()
        self._seen: dict[str, float] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._values: dict[str, tuple[str, float]] = {}

    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        now = _seconds(self._clock)
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
        now = _seconds(self._clock)
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
        now = _seconds(self._clock)
        current = self._leases.get(name)
        if current is None or current[0] == holder or current[1] <= now:
            self._leases[name] = (holder, now + ttl_seconds)
            return True
        return False

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
        self._values[key] = (value, _seconds(self._clock) + ttl_seconds)

    async def get(self, key: str) -> str | None:
        found = self._values.get(key)
        if found is None or found[1] <= _seconds(self._clock):
            self._values.pop(key, None)
            return None
        return found[0]

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def close(self) -> None:
        return None


# Token buckets as one atomic script: several processes share a platform's rate limits.
# KEYS: the buckets. ARGV: now, then rate and burst per bucket, then per request the number
# of its buckets followed by their (1-based) positions in KEYS. Returns, per request, the
# wait ("0" when granted) and the position of the bucket that was short (0 when none).
_TOKENS_SCRIPT = """
local now = tonumber(ARGV[1])
local n = #KEYS
local rate, burst, level = {}, {}, {}
for i = 1, n do
  rate[i] = tonumber(ARGV[1 + 2 * i - 1])
  burst[i] = tonumber(ARGV[1 + 2 * i])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst[i]
  local ts = tonumber(state[2]) or now
  level[i] = math.min(burst[i], tokens + math.max(0, now - ts) * rate[i])
end
local out = {}
local pos = 2 + 2 * n
while pos <= #ARGV do
  local count = tonumber(ARGV[pos])
  local wait, short = 0, 0
  for j = 1, count do
    local b = tonumber(ARGV[pos + j])
    if level[b] < 1 then
      local w = (1 - level[b]) / rate[b]
      if w > wait then wait, short = w, b end
    end
  end
  if short == 0 then
    for j = 1, count do
      local b = tonumber(ARGV[pos + j])
      level[b] = level[b] - 1
    end
  end
  table.insert(out, tostring(wait))
  table.insert(out, short)
  pos = pos + count + 1
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'tokens', level[i], 'ts', now)
  redis.call('PEXPIRE', KEYS[i], math.ceil((burst[i] / rate[i]) * 1000) + 1000)
end
return out
"""

_LEASE_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class RedisCoordination:
    """Shared implementation for several bot processes."""

    def __init__(self, url: str, prefix: str = "leadbot:", clock: Clock | None = None) -> None:
        self._clock: Clock = clock or SystemClock()
        # Timeouts: a stalled Redis must surface as an error, never as a hung handler.
        self._redis = aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=10, socket_connect_timeout=5
        )
        self._prefix = prefix
        self._tokens = self._redis.register_script(_TOKENS_SCRIPT)
        self._lease = self._redis.register_script(_LEASE_SCRIPT)
        self._local = LocalCoordination(self._clock)  # wakes waiters in this process at once
        self._listeners: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        return bool(await self._redis.set(self._key("seen", key), "1", nx=True, ex=ttl_seconds))

    async def take_token(self, bucket: str, rate_per_second: float, burst: int) -> float:
        return (await self.take_tokens([[Bucket(bucket, rate_per_second, burst)]]))[0].wait

    async def take_tokens(self, requests: Sequence[Sequence[Bucket]]) -> list[Grant]:
        if not requests:
            return []
        position: dict[str, int] = {}
        buckets: list[Bucket] = []
        for request in requests:
            for bucket in request:
                if bucket.name not in position:
                    buckets.append(bucket)
                    position[bucket.name] = len(buckets)
        now = _seconds(self._clock)  # every process's clock: buckets refill by wall time
        args: list[float | int] = [now]
        for bucket in buckets:
            args += [bucket.rate, bucket.burst]
        for request in requests:
            args += [len(request), *(position[b.name] for b in request)]
        keys = [self._key("bucket", b.name) for b in buckets]
        flat = await self._tokens(keys=keys, args=args)
        return [
            Grant(float(flat[i]), buckets[int(flat[i + 1]) - 1].name if int(flat[i + 1]) else None)
            for i in range(0, len(flat), 2)
        ]

    async def hold_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        ok = await self._lease(
            keys=[self._key("lease", name)], args=[holder, int(ttl_seconds * 1000)]
        )
        return bool(int(ok))

    async def wake(self, topic: str) -> None:
        await self._local.wake(topic)
        await self._redis.publish(self._key("wake", topic), "1")

    async def wait(self, topic: str, timeout: float) -> None:
        """Wait on the in-process event; one listener per topic relays other processes' wakes.

        A single long-lived subscription per topic (instead of one per wait) keeps the
        connection count flat and never cancels a read half-way.
        """
        listener = self._listeners.get(topic)
        if listener is None or listener.done():
            self._listeners[topic] = asyncio.create_task(self._listen(topic))
        await self._local.wait(topic, timeout)

    async def _listen(self, topic: str) -> None:
        """Relay wakes from Redis until :meth:`close`.

        The loop also ends on ``self._closing``: redis-py can swallow a cancellation that
        arrives during ``get_message`` (the read's own timeout handling catches it), and a
        listener that went on reading would hang the shutdown.
        """
        channel = self._key("wake", topic)
        while not self._closing:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                while not self._closing:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        await self._local.wake(topic)
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._closing:
                    return
                log.warning("redis wake-up subscription for %r lost; re-subscribing", topic)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), CLOSE_SECONDS)

    async def put(self, key: str, value: str, ttl_seconds: int) -> None:
        await self._redis.set(self._key("kv", key), value, ex=ttl_seconds)

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._key("kv", key))
        return None if value is None else str(value)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._key("kv", key))

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        self._closing = True
        listeners = list(self._listeners.values())
        for task in listeners:
            task.cancel()
        if listeners:  # each ends within a read's timeout even if a cancel was swallowed
            await asyncio.wait(listeners, timeout=CLOSE_SECONDS + 2.0)
        self._listeners.clear()
        await self._redis.aclose()


def create_coordination(
    url: str, prefix: str = "leadbot:", clock: Clock | None = None
) -> Coordination:
    return RedisCoordination(url, prefix, clock) if url else LocalCoordination(clock)
