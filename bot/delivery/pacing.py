"""Rate limits before database work: which candidate rows may be sent right now.

The sender asks here before it reserves a row, so a message held back by a rate limit
costs no transaction. Tokens for a whole batch of candidates are taken in one step
(:meth:`bot.coordination.Coordination.take_tokens`, one Redis round trip when several
processes share the buckets), each candidate all-or-nothing over its buckets. What the
answers teach is remembered in memory: an address whose bucket is empty is not asked for
again (nor read from the database) until it has refilled, and when a bucket shared by the
whole platform is empty (Telegram's global limit) the platform pauses until it refills.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.clock import Clock
from bot.coordination import Bucket, Coordination
from bot.delivery.transports import RateLimit, Transport

T = TypeVar("T")


@dataclass
class Pacer:
    """The rate-limit memory of one platform in one process."""

    transport: Transport
    coordination: Coordination
    clock: Clock
    not_before: dict[str, float] = field(default_factory=dict)
    """Address -> when (clock seconds) its own buckets have a token again."""
    platform_not_before: float = 0.0
    """When the platform's shared buckets have a token again."""

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def paused_for(self) -> float:
        """Seconds until the platform's shared buckets may have a token (0: now)."""
        return max(0.0, self.platform_not_before - self._now())

    def waiting_addresses(self) -> list[str]:
        """Addresses whose buckets are still empty (left out of the next claim)."""
        now = self._now()
        self.not_before = {a: t for a, t in self.not_before.items() if t > now}
        return list(self.not_before)

    def next_refill(self) -> float | None:
        """Seconds until the first waiting address may send again, if any waits."""
        now = self._now()
        upcoming = [t for t in self.not_before.values() if t > now]
        return min(upcoming) - now if upcoming else None

    async def admit(self, candidates: Sequence[tuple[str, bool, T]]) -> list[T]:
        """The candidates (address, is an edit, item), in order, that got a token from every
        bucket they need."""
        now = self._now()
        asks: list[tuple[str, T, Sequence[RateLimit]]] = []
        for address, edit, item in candidates:
            if self.not_before.get(address, 0.0) <= now:
                asks.append((address, item, self.transport.rate_limits(address, edit=edit)))
        limited = [limits for _, _, limits in asks if limits]
        grants = iter(
            await self.coordination.take_tokens(
                [[Bucket(r.bucket, r.per_second, r.burst) for r in limits] for limits in limited]
            )
            if limited
            else []
        )
        shared = {r.bucket for limits in limited for r in limits if r.shared}
        admitted: list[T] = []
        for address, item, limits in asks:
            grant = next(grants) if limits else None
            if grant is None or grant.short is None:
                admitted.append(item)
            elif grant.short in shared:
                self.platform_not_before = max(self.platform_not_before, now + grant.wait)
            else:
                self.not_before[address] = now + grant.wait
        return admitted
