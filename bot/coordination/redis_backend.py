"""Coordination through Redis, shared by every bot process.

The client never waits long: connecting and each read are bounded by a short timeout, and
the connection pool is sized (``[redis] max_connections``) and *blocks* briefly for a free
connection instead of failing at once when a burst of requests wants more connections
than the pool has. A broken pooled connection (Redis restarted) is retried once on a fresh
one (:data:`STALE_CONNECTION_RETRY`); every other error surfaces to the caller —
:class:`bot.coordination.fallback.FallbackCoordination` turns errors into fallbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.clock import Clock, SystemClock
from bot.coordination.local import LocalCoordination
from bot.coordination.protocol import Bucket, Grant, seconds

log = logging.getLogger(__name__)

CLOSE_SECONDS = 2.0
"""How long closing a Redis subscription may take before it is abandoned."""

CONNECT_TIMEOUT_SECONDS = 1.0
"""Connecting to Redis: a host that does not answer is given up quickly."""

READ_TIMEOUT_SECONDS = 1.5
"""One command's answer: a stalled Redis (frozen, half-open connection) fails in this time."""

POOL_WAIT_SECONDS = 1.0
"""How long a command waits for a free pooled connection when all are in use."""

MAX_RESUBSCRIBE_SECONDS = 5.0
"""The longest pause between attempts to re-subscribe to wake-ups while Redis is away."""

STALE_CONNECTION_RETRY = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
"""A command that meets a broken connection is tried once more, at once, on a fresh one.

After Redis restarted, every pooled connection is dead, and each failed on its first use
— which the fallback took for "Redis is not answering": a false alarm, and ``redis``
degraded again, whenever traffic first needed that many connections at once (seconds or
minutes after Redis was back). redis-py drops the broken connection before the retry.
Only :class:`~redis.exceptions.ConnectionError` (reset, refused, closed by the server),
never a timeout: a Redis that is down refuses at once (two refusals cost nothing), and one
that is stalled or unreachable still fails after one read or connect timeout, not two.
(The retry can repeat a command whose connection broke after Redis had run it: a token
taken twice or a wake sent twice, both harmless; leases, ``put``/``get``/``delete`` are
idempotent. ``SET NX`` is not — run twice, it says "seen" the second time — so
:meth:`RedisCoordination.first_time` marks a key with a token of its own call
(:data:`_FIRST_TIME_SCRIPT`): the repeat finds its own mark and still says "first".)"""

_FIRST_TIME_SCRIPT = """
local old = redis.call('GET', KEYS[1])
if old == false then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
if old == ARGV[1] then return 1 end
return 0
"""
"""Mark KEYS[1] with this call's token ARGV[1] for ARGV[2] seconds unless it is marked:
1 if it was not marked, or marked by this very call (a retry), else 0."""


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


_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisCoordination:
    """Shared implementation for several bot processes.

    ``local`` is where waiters of this process wait: a wake from here sets its event at
    once, other processes' wakes arrive through one subscription per topic. The fallback
    wrapper passes its own, so a wake it handles without Redis reaches the same waiters.
    """

    def __init__(
        self,
        url: str,
        prefix: str = "leadbot:",
        clock: Clock | None = None,
        *,
        max_connections: int = 50,
        local: LocalCoordination | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        # Timeouts: a stalled Redis must surface as an error, never as a hung handler.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=POOL_WAIT_SECONDS,
            decode_responses=True,
            socket_timeout=READ_TIMEOUT_SECONDS,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            retry=STALE_CONNECTION_RETRY,
        )
        self._redis = aioredis.Redis.from_pool(pool)
        self._prefix = prefix
        self._tokens = self._redis.register_script(_TOKENS_SCRIPT)
        self._lease = self._redis.register_script(_LEASE_SCRIPT)
        self._release = self._redis.register_script(_RELEASE_SCRIPT)
        self._first_time = self._redis.register_script(_FIRST_TIME_SCRIPT)
        self._local = local or LocalCoordination(self._clock)
        self._listeners: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    async def first_time(self, key: str, ttl_seconds: int = 86_400) -> bool:
        token = secrets.token_hex(8)
        marked = await self._first_time(keys=[self._key("seen", key)], args=[token, ttl_seconds])
        return bool(marked)

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
        now = seconds(self._clock)  # every process's clock: buckets refill by wall time
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

    async def release_lease(self, name: str, holder: str) -> None:
        await self._release(keys=[self._key("lease", name)], args=[holder])

    async def wake(self, topic: str) -> None:
        await self._local.wake(topic)
        await self.publish(topic)

    async def publish(self, topic: str) -> None:
        """Wake ``topic``'s waiters in the other processes (not this one's)."""
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
        pause = 0.0  # > 0 while Redis is away: back off, say so once
        subscribed = False  # once: a failure after it is a loss, before it a failed start
        while not self._closing:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                if pause:
                    log.info("redis wake-up subscription for %r is back", topic)
                    pause = 0.0
                subscribed = True
                while not self._closing:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        await self._local.wake(topic)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._closing:
                    return
                if not pause:  # the waiters poll meanwhile: wakes from others come late
                    log.warning(
                        "redis wake-up subscription for %r %s (%s); waiters poll until it is back",
                        topic,
                        "lost" if subscribed else "could not be made",
                        type(exc).__name__,
                    )
                pause = min(MAX_RESUBSCRIBE_SECONDS, max(1.0, pause * 2))
                await asyncio.sleep(pause)
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
