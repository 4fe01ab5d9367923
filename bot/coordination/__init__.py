"""What several bot processes must agree on, behind one small interface.

With Redis configured, de-duplication of platform retries, rate-limit buckets and sender
wake-ups are shared by every process through Redis — and fall back to the database and
the process when Redis does not answer (:mod:`.fallback`). Without Redis the same
interface runs in-process, which is all a single process on the embedded default needs.
The single-runner leases (scheduler, news poller) live in the database whenever the
runtime's sessions are given, so Redis coming and going can never make two leaders.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.coordination.database import DatabaseLeases, DatabaseSeen
from bot.coordination.fallback import FallbackCoordination
from bot.coordination.local import LocalCoordination
from bot.coordination.protocol import (
    Bucket,
    Coordination,
    Grant,
    Leases,
    release_quietly,
    run_while_leased,
)
from bot.coordination.redis_backend import RedisCoordination
from bot.health import HealthBoard

__all__ = [
    "Bucket",
    "Coordination",
    "DatabaseLeases",
    "DatabaseSeen",
    "FallbackCoordination",
    "Grant",
    "Leases",
    "LocalCoordination",
    "RedisCoordination",
    "create_coordination",
    "release_quietly",
    "run_while_leased",
]


def create_coordination(
    url: str,
    prefix: str = "leadbot:",
    clock: Clock | None = None,
    *,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    health: HealthBoard | None = None,
    max_connections: int = 50,
) -> Coordination:
    """The runtime's coordination: Redis with fallbacks when ``url`` is set, else local.

    ``sessions`` (the runtime's) give the fallbacks and the leases their database; without
    them (a bare test) Redis alone is used, or the process alone.
    """
    clock = clock or SystemClock()
    leases = DatabaseLeases(sessions, clock) if sessions is not None else None
    if not url:
        return LocalCoordination(clock, leases)
    local = LocalCoordination(clock)
    redis = RedisCoordination(url, prefix, clock, max_connections=max_connections, local=local)
    if sessions is None or leases is None:
        return redis
    return FallbackCoordination(redis, local, DatabaseSeen(sessions, clock), leases, health)
