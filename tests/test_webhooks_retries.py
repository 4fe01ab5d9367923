"""Webhook retries: an event the endpoint refuses (4xx) fails for good while later ones
still go; ``Retry-After`` is honoured and holds back the lead's later events; retrying
ends after the endpoint's ``retry_hours``, with the reason stored.

Time is a ManualClock: backoffs pass by moving it, never by sleeping. Delivery through an
outage: tests/test_webhooks_delivery.py.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import ManualClock
from bot.crm.sender import WebhookSender
from bot.models import WebhookDelivery, WebhookStatus
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.emulators.webhooks import webhook_receiver
from tests.support.factories import store_lead
from tests.support.webhooks import SECRET, hook_settings
from tests.support.webhooks import directory as _directory
from tests.support.webhooks import settle as _settle


async def test_a_refused_event_fails_for_good_and_later_ones_still_go(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    async with webhook_receiver(SECRET) as receiver:
        runtime = Runtime.create(hook_settings(make_settings, receiver.url), clock=clock)
        sender = WebhookSender(runtime)
        try:
            await _directory(runtime, 1)
            receiver.answer(404)  # lead.received: this endpoint does not want it
            lead = await store_lead(runtime, 1)
            await _settle(sender, clock)
            assert receiver.of_lead(lead) == ["lead.offered"]
            async with runtime.uow() as uow:
                failed = (
                    await uow.session.scalars(
                        select(WebhookDelivery).where(
                            WebhookDelivery.status == WebhookStatus.FAILED
                        )
                    )
                ).all()
            assert [(f.event_type, f.attempts, f.last_status_code) for f in failed] == [
                ("lead.received", 1, 404)
            ]
        finally:
            await sender.close()
            await runtime.close()


async def test_retry_after_is_honoured_and_later_events_of_the_lead_wait(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    async with webhook_receiver(SECRET) as receiver:
        runtime = Runtime.create(hook_settings(make_settings, receiver.url), clock=clock)
        sender = WebhookSender(runtime)
        try:
            await _directory(runtime, 1)
            receiver.answer(429, **{"Retry-After": "120"})
            lead = await store_lead(runtime, 1)
            await sender.drain()
            assert receiver.requests == 1 and receiver.accepted == []
            clock.advance(seconds=119)
            await sender.drain()  # too early: neither the retry nor the next event goes
            assert receiver.requests == 1
            clock.advance(seconds=2)
            await sender.drain()
            assert receiver.of_lead(lead) == ["lead.received", "lead.offered"]
        finally:
            await sender.close()
            await runtime.close()


async def test_retries_end_after_retry_hours(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    async with webhook_receiver(SECRET, up=False) as receiver:
        settings = hook_settings(make_settings, receiver.url, retry_hours=1)
        runtime = Runtime.create(settings, clock=clock)
        sender = WebhookSender(runtime)
        try:
            await _directory(runtime, 1)
            await store_lead(runtime, 1)
            for _ in range(200):
                await sender.drain()
                clock.advance(seconds=61)
            async with runtime.uow() as uow:
                rows = (await uow.session.scalars(select(WebhookDelivery))).all()
            states = {(r.event_type, r.status) for r in rows}
            assert states == {
                ("lead.received", WebhookStatus.FAILED),
                ("lead.offered", WebhookStatus.FAILED),
            }
            first = min(rows, key=lambda r: r.id)
            assert first.last_error and first.last_error.startswith("gave up after")
            assert "in 1 h: ClientConnectorError" in first.last_error
        finally:
            await sender.close()
            await runtime.close()
