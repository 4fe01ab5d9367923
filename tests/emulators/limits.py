"""Token-bucket rate limits keyed like the platform keys them (per channel, per chat, global).

The bot must cope with 429 answers and their retry hints, so the emulators enforce limits
shaped like the real ones. The clock is injectable: a test that wants to see a bucket
refill advances its own clock instead of sleeping.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KeyFunc = Callable[[str, dict[str, Any]], str | None]
"""Given (method, params), the bucket key, or None when the rule does not apply."""


@dataclass
class LimitRule:
    """At most ``burst`` calls at once, refilling at ``per_second``, per key.

    ``methods`` restricts the rule to those API methods (empty: every method). ``key`` maps a
    call to its bucket (e.g. the channel id); returning None exempts the call.
    """

    name: str
    per_second: float
    burst: int
    key: KeyFunc
    methods: frozenset[str] = frozenset()
    enabled: bool = True

    def bucket_key(self, method: str, params: dict[str, Any]) -> str | None:
        if not self.enabled or (self.methods and method not in self.methods):
            return None
        return self.key(method, params)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """Holds the rules and buckets of one emulator. All methods are thread-safe."""

    clock: Callable[[], float]
    rules: dict[str, LimitRule] = field(default_factory=dict)
    enabled: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def add(self, rule: LimitRule) -> None:
        with self._lock:
            self.rules[rule.name] = rule

    def set(
        self,
        name: str,
        *,
        per_second: float | None = None,
        burst: int | None = None,
        enabled: bool | None = None,
    ) -> None:
        """Change one rule (e.g. ``set("per_channel", per_second=0.01, burst=1)``).

        Existing buckets of that rule are dropped, so the new burst applies at once.
        """
        with self._lock:
            if name not in self.rules:
                raise KeyError(f"no rate-limit rule {name!r}; rules: {sorted(self.rules)}")
            rule = self.rules[name]
            if per_second is not None:
                if per_second <= 0:
                    raise ValueError("per_second must be > 0")
                rule.per_second = per_second
            if burst is not None:
                if burst < 1:
                    raise ValueError("burst must be >= 1")
                rule.burst = burst
            if enabled is not None:
                rule.enabled = enabled
            self._buckets = {k: b for k, b in self._buckets.items() if k[0] != name}

    def disable(self) -> None:
        """Switch every limit off (tests that are not about rate limits)."""
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def reset(self) -> None:
        """Forget all buckets: every key starts with a full burst again."""
        with self._lock:
            self._buckets.clear()

    def acquire(self, method: str, params: dict[str, Any]) -> float | None:
        """Take a token from every bucket the call falls in, or none of them.

        Returns None when the call may go through, else the seconds until it could.
        """
        if not self.enabled:
            return None
        with self._lock:
            now = self.clock()
            taken: list[_Bucket] = []
            wait = 0.0
            for rule in self.rules.values():
                key = rule.bucket_key(method, params)
                if key is None:
                    continue
                bucket = self._refilled(rule, key, now)
                if bucket.tokens < 1.0:
                    wait = max(wait, (1.0 - bucket.tokens) / rule.per_second)
                taken.append(bucket)
            if wait > 0:
                return wait
            for bucket in taken:
                bucket.tokens -= 1.0
            return None

    def _refilled(self, rule: LimitRule, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get((rule.name, key))
        if bucket is None:
            bucket = self._buckets[(rule.name, key)] = _Bucket(float(rule.burst), now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(rule.burst), bucket.tokens + elapsed * rule.per_second)
        bucket.updated = now
        return bucket


def whole_seconds(wait: float) -> int:
    """Platforms announce retry hints in whole seconds, at least 1."""
    return max(1, math.ceil(wait))
