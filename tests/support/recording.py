"""A transport that records deliveries: the test implementation of ``Transport``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.notices import Delivery, MessageRef
from bot.delivery.transports import RateLimit
from bot.models import Platform


class RecordingTransport:
    def __init__(self, platform: Platform = Platform.CONSOLE) -> None:
        self.platform = platform
        self.deliveries: list[Delivery] = []
        self._next = 0

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        return ()

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        self.deliveries.append(delivery)
        if delivery.edit is not None:
            return delivery.edit
        self._next += 1
        return MessageRef(delivery.address, str(self._next))

    def to(self, address: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.address == address]
