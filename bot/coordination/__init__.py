"""What several bot processes must agree on, behind one small interface.

With Redis configured, de-duplication of platform retries, rate-limit buckets and sender
wake-ups are shared by every process through Redis — and fall back to the database and
the process when Redis does not answer (:mod:`.fallback`). Without Redis the same
interface runs in-process, which is all a single process on the embedded default needs.
The single-runner leases (scheduler, news poller) live in the database whenever the
runtime's sessions are given, so Redis coming and going can never make two leaders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.coordination.database import DatabaseLeases, DatabaseSeen
from bot.coordination.local import LocalCoordination
from bot.coordination.protocol import (
    Bucket,
    Coordination,
    Grant,
    Leases,
    release_quietly,
    run_while_leased,
)
from bot.health import HealthBoard

if TYPE_CHECKING:
    from bot.coordination.fallback import FallbackCoordination
    from bot.coordination.redis_backend import RedisCoordination

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


def __getattr__(name: str) -> Any:
    """The Redis-backed classes, imported when first asked for: importing the Redis client
    took a tenth of a second of every ``leadbot`` command, most of which never use it."""
    if name == "RedisCoordination":
        from bot.coordination.redis_backend import RedisCoordination

        return RedisCoordination
    if name == "FallbackCoordination":
        from bot.coordination.fallback import FallbackCoordination

        return FallbackCoordination
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    from bot.coordination.fallback import FallbackCoordination
    from bot.coordination.redis_backend import RedisCoordination

    local = LocalCoordination(clock)
    redis = RedisCoordination(url, prefix, clock, max_connections=max_connections, local=local)
    if sessions is None or leases is None:
        return redis
    return FallbackCoordination(redis, local, DatabaseSeen(sessions, clock), leases, health)
