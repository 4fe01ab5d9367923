"""The small interface every chat platform implements for the outbox sender.

Like Zulip's bot handler protocol: the core depends only on this, and there is a real
implementation per platform (Slack, Telegram), a terminal one (the console) and the
emulator-backed ones used in tests — all going through the same sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.delivery.notices import Delivery, MessageRef
from bot.models.enums import Platform


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: at most ``per_second`` on average, ``burst`` at once."""

    bucket: str
    per_second: float
    burst: int


class DeliveryError(Exception):
    """Sending failed. ``retry_after`` (seconds) when the platform said when to retry."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Transport(Protocol):
    platform: Platform

    def rate_limits(self, address: str) -> Sequence[RateLimit]:
        """The buckets a message to ``address`` must take a token from."""
        ...

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        """Post (or, if ``delivery.edit`` is set, edit) the message; return where it is.

        Raise :class:`DeliveryError` on failure; anything else counts as retryable too.
        """
        ...
