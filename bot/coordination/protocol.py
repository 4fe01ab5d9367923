"""What several bot processes must agree on, as one small interface and its value types.

Implementations: :mod:`bot.coordination.local` (one process), :mod:`.redis_backend`
(several processes through Redis), :mod:`.database` (the database standing in for Redis)
and :mod:`.fallback` (Redis first, the others when Redis does not answer).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple, Protocol

from bot.clock import Clock
from bot.schemawatch import wait_if_behind
from bot.supervisor import failing, working

log = logging.getLogger(__name__)

RELEASE_TIMEOUT_SECONDS = 2.0
LONG_PASS_SECONDS = 300.0
"""What a pass of a leased loop may take before /healthz shows it stuck, unless the loop
says (the news poller fetches every feed in a pass; the scheduler passes 60 s)."""


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


class Leases(Protocol):
    """A named job's single runner (the scheduler, the news poller)."""

    async def hold_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Acquire or renew a lease; True while ``holder`` holds it."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up at a clean stop, so the next process need not wait it out."""
        ...


class Coordination(Leases, Protocol):
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

    async def wake(self, topic: str) -> None:
        """Tell waiters on ``topic`` (e.g. the outbox sender) that there is work.

        Never raises for a coordination failure: it runs after commits, and a commit that
        succeeded must stay a success (waiters also poll).
        """
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


def seconds(clock: Clock) -> float:
    """``clock``'s now as epoch seconds (buckets and expiries count in these)."""
    return clock.now().timestamp()


async def release_quietly(
    leases: Leases, name: str, holder: str, logger: logging.Logger = log
) -> None:
    """Give a lease up at a stop (bounded in time); if that fails it simply expires."""
    try:
        async with asyncio.timeout(RELEASE_TIMEOUT_SECONDS):
            await leases.release_lease(name, holder)
    except Exception as exc:
        logger.info("could not release the %s lease (%s); it expires", name, type(exc).__name__)


async def run_while_leased(
    leases: Leases,
    name: str,
    ttl_seconds: float,
    interval: float,
    work: Callable[[], Awaitable[None]],
    *,
    logger: logging.Logger,
    pass_seconds: float = LONG_PASS_SECONDS,
) -> None:
    """Forever: every ``interval`` seconds, do ``work`` if this process holds lease ``name``.

    The single-runner loop of the scheduler and the news poller. A failed pass is logged
    and retried at the next one; a clean stop gives the lease up for the next process.
    ``logger`` is the caller's (``bot.leads.scheduler``, ``bot.news.service``): an operator
    filtering the log by module finds the loop's lines under the loop's name.
    ``pass_seconds``: what one pass may take before ``/healthz`` shows the task stuck.
    """
    within = interval + pass_seconds
    holder = uuid.uuid4().hex
    try:
        while True:
            try:
                if await leases.hold_lease(name, holder, ttl_seconds):
                    await work()
                working(within=within)  # a pass went through: a restarted task is recovering
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not await wait_if_behind(exc):
                    failing(exc, within=within)  # /healthz: failing until a pass works
                    logger.exception("%s pass failed; retrying at the next pass", name)
            await asyncio.sleep(interval)
    finally:
        await release_quietly(leases, name, holder, logger)
