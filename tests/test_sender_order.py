"""The outbox sender keeps the order of messages to one address across retries."""

from __future__ import annotations

from bot.delivery.notices import Delivery, MessageRef, NoticeKind, ToStaff
from bot.delivery.sender import OutboxSender
from bot.delivery.transports import DeliveryError
from bot.models import Platform
from tests.support.recording import RecordingTransport


class FailingFirst(RecordingTransport):
    """Refuses the first delivery (a retryable error), then delivers everything."""

    def __init__(self) -> None:
        super().__init__(Platform.CONSOLE)
        self.refused = 0

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        if not self.refused:
            self.refused += 1
            raise DeliveryError("not reachable yet")
        return await super().deliver(delivery)


async def test_a_retried_message_is_not_overtaken(runtime, clock) -> None:
    async with runtime.uow() as uow:
        for n in range(3):
            await uow.outbox.enqueue(
                ToStaff(), NoticeKind.STAFF, {"event": "erased", "params": {"n": n}}
            )
        await uow.commit()
    transport = FailingFirst()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.drain()
    await sender.drain()  # a later pass: the first is not due yet, the others are
    assert transport.refused == 1 and transport.deliveries == []  # they wait behind it
    clock.advance(seconds=5)  # past the retry backoff
    await sender.drain()
    assert [d.view.params["n"] for d in transport.deliveries] == [0, 1, 2]
