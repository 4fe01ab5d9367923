"""A webhook sender that stalls past its lease records nothing over the sender that took
the message over: its late answer — a failure or a 2xx — is a lost lease, logged and
dropped, so the row shows the new holder's outcome, its attempts count once per recorded
attempt and staff are not told of a failure that did not stand.

Sender A's request is held by the receiver (a gate the test opens) while the ManualClock
moves past ``lease_seconds``; sender B (another process: its own runtime and connections)
takes the row over. Two senders draining one queue without stalls:
tests/test_webhooks_delivery.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.crm import admin
from bot.crm.sender import WebhookSender
from bot.models import WebhookDelivery, WebhookStatus
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.emulators.webhooks import WebhookReceiver, webhook_receiver
from tests.support.drivers.console import STAFF, Terminal
from tests.support.factories import store_lead
from tests.support.webhooks import SECRET, hook_settings
from tests.support.webhooks import directory as _directory
from tests.support.webhooks import settle as _settle

LEASE_SECONDS = 30
LOST = "lease lost, the other sender's outcome stands"


@dataclass(frozen=True)
class Row:
    event_type: str
    status: WebhookStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None


@dataclass
class World:
    receiver: WebhookReceiver
    clock: ManualClock
    runtimes: list[Runtime]
    senders: list[WebhookSender]

    async def rows(self) -> list[Row]:
        async with self.runtimes[0].uow() as uow:
            found = await uow.session.execute(
                select(
                    WebhookDelivery.event_type,
                    WebhookDelivery.status,
                    WebhookDelivery.attempts,
                    WebhookDelivery.last_status_code,
                    WebhookDelivery.last_error,
                ).order_by(WebhookDelivery.id)
            )
            return [Row(*row) for row in found.all()]

    async def stall(self, sender: WebhookSender) -> tuple[asyncio.Event, asyncio.Task[int]]:
        """``sender``'s next pass, its request held by the receiver until the gate opens;
        returns once the request is waiting at the receiver."""
        gate = self.receiver.gate()
        waiting = self.receiver.holding
        task = asyncio.create_task(sender.drain_once())
        while self.receiver.holding == waiting:
            assert not task.done(), task
            await asyncio.sleep(0.01)
        return gate, task

    def lease_runs_out(self) -> None:
        self.clock.advance(seconds=LEASE_SECONDS + 1)

    async def staff_feed(self) -> list[str]:
        """What staff see in the console's staff feed (after it delivered its outbox)."""
        return await Terminal(self.runtimes[0]).look(STAFF)

    async def failed(self) -> int:
        (crm,) = await admin.status(self.runtimes[0])
        return crm.counts.get(WebhookStatus.FAILED, 0)


def _settings(make_settings: SettingsFactory, url: str) -> Settings:
    settings = hook_settings(make_settings, url)
    sender = settings.webhook_sender.model_copy(update={"lease_seconds": LEASE_SECONDS})
    return settings.model_copy(update={"webhook_sender": sender})


@asynccontextmanager
async def _world(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[World]:
    """Two senders (two ``serve`` processes) and one lead: ``lead.received`` and
    ``lead.offered`` wait for endpoint ``crm``."""
    async with webhook_receiver(SECRET) as receiver:
        settings = _settings(make_settings, receiver.url)
        runtimes = [Runtime.create(settings, clock=clock) for _ in range(2)]
        senders = [WebhookSender(rt) for rt in runtimes]
        try:
            await _directory(runtimes[0], 1)
            await store_lead(runtimes[0], 1)
            yield World(receiver, clock, runtimes, senders)
        finally:
            for sender, rt in zip(senders, runtimes, strict=True):
                await sender.close()
                await rt.close()


async def test_a_stalled_senders_late_failure_leaves_the_takeover_delivered(
    make_settings: SettingsFactory, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.crm.sender")
    async with _world(make_settings, clock) as world:
        a, b = world.senders
        gate, stalled = await world.stall(a)  # A sends lead.received; the receiver is slow
        world.lease_runs_out()
        assert await b.drain_once() == 1  # B takes it over: 200
        world.receiver.answer(404)
        gate.set()  # A's answer comes at last: a 404, final — had A's lease still held
        assert await stalled == 1

        received = Row("lead.received", WebhookStatus.DELIVERED, 1, 200, None)
        assert (await world.rows())[0] == received
        assert any(LOST in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)
        first = world.receiver.accepted[0].id
        assert world.receiver.ids == [first, first]  # the same message both times
        assert await world.failed() == 0
        assert not [line for line in await world.staff_feed() if "Webhook" in line]

        await _settle(b, clock)
        assert world.receiver.of_lead(world.receiver.accepted[0].lead_id) == [
            "lead.received",
            "lead.offered",
        ]
        assert await world.rows() == [
            received,
            Row("lead.offered", WebhookStatus.DELIVERED, 1, 200, None),
        ]


async def test_a_stalled_senders_late_2xx_does_not_overtake_the_scheduled_retry(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    """B's attempt failed and set the retry; A's late 2xx must not mark the row delivered
    behind B's back — the lead's next event would go before the retry B scheduled."""
    async with _world(make_settings, clock) as world:
        a, b = world.senders
        gate, stalled = await world.stall(a)
        world.lease_runs_out()
        world.receiver.answer(503)
        assert await b.drain_once() == 1  # B takes it over: 503, a retry in a second or less
        gate.set()  # A's 200 comes late
        assert await stalled == 1

        assert (await world.rows())[0] == Row(
            "lead.received", WebhookStatus.PENDING, 1, 503, "HTTP 503"
        )
        assert await b.drain_once() == 0  # lead.offered still waits for the retry
        assert await a.drain_once() == 0

        await _settle(b, clock)
        message = world.receiver.accepted[0]
        offered = world.receiver.accepted[-1].id
        assert world.receiver.ids == [message.id, message.id, message.id, offered]
        assert world.receiver.of_lead(message.lead_id) == [
            "lead.received",  # A's, recorded by nobody
            "lead.received",  # B's retry
            "lead.offered",
        ]
        assert await world.rows() == [
            Row("lead.received", WebhookStatus.DELIVERED, 2, 200, None),
            Row("lead.offered", WebhookStatus.DELIVERED, 1, 200, None),
        ]


async def test_a_processs_stalled_pass_records_nothing_over_its_own_next_lease(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    """Each take is a lease of its own, also within one process: a pass that stalled past
    its lease does not record its failure over the same process's next pass, whose attempt
    of the same message is still on its way."""
    async with _world(make_settings, clock) as world:
        a = world.senders[0]
        first_gate, first = await world.stall(a)
        world.lease_runs_out()
        second_gate, second = await world.stall(a)  # A's next pass takes it over, also slow
        world.receiver.answer(404)
        first_gate.set()  # the first pass's 404 comes while the second is on its way
        assert await first == 1
        assert (await world.rows())[0].status is WebhookStatus.PENDING
        second_gate.set()
        assert await second == 1

        assert (await world.rows())[0] == Row(
            "lead.received", WebhookStatus.DELIVERED, 1, 200, None
        )
        assert await world.failed() == 0
        assert not [line for line in await world.staff_feed() if "Webhook" in line]
