"""Outbound webhooks over real HTTP: signed, in order per lead, at least once — through an
outage of the CRM, and with two processes draining one queue.

The receiver (tests/emulators/webhooks.py) checks every request with the Standard Webhooks
reference verifier. Time is a ManualClock: backoffs and ``Retry-After`` pass by moving it,
never by sleeping.

Retries and giving up: tests/test_webhooks_retries.py; ``leadbot webhooks …`` and
``serve`` without the secret: tests/test_webhooks_cli.py; configuration errors of
``[[webhooks]]``: tests/test_webhooks_config.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import or_, select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import WebhookEndpoint
from bot.crm.sender import WebhookSender
from bot.crm.signing import signed_headers, signer
from bot.leads.claims import claim
from bot.leads.progress import report_progress
from bot.leads.staff import erase
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, LeadEvent, Offer, Platform, WebhookDelivery, WebhookStatus
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.emulators.webhooks import webhook_receiver
from tests.support.databases import SqliteDatabases
from tests.support.factories import store_lead
from tests.support.webhooks import SECRET, hook_settings
from tests.support.webhooks import directory as _directory
from tests.support.webhooks import settle as _settle


async def _claim(runtime: Runtime, lead_id: int, rep_id: int, partner: str) -> None:
    async with runtime.uow() as uow:
        offer = await uow.session.scalar(
            select(Offer).where(Offer.lead_id == lead_id, Offer.partner_id == partner)
        )
        assert offer is not None
        assert (await claim(uow, offer.id, rep_id, Platform.CONSOLE)).won


async def _report(
    runtime: Runtime, lead_id: int, rep_id: int, partner: str, report: Report
) -> None:
    async with runtime.uow() as uow:
        await report_progress(uow, lead_id, Actor.rep(Channel.CONSOLE, rep_id, partner), report)


async def _trail(runtime: Runtime, lead_id: int) -> list[str]:
    """The lead's webhook events as its audit trail has them, oldest first."""
    async with runtime.uow() as uow:
        events = (
            await uow.session.scalars(
                select(LeadEvent)
                .where(
                    LeadEvent.lead_id == lead_id,
                    or_(LeadEvent.to_status.is_not(None), LeadEvent.kind == "follow_up"),
                )
                .order_by(LeadEvent.id)
            )
        ).all()
    return [f"lead.{e.to_status}" if e.to_status else "lead.follow_up_set" for e in events]


def test_signatures_match_the_specification_example() -> None:
    """The Standard Webhooks test vector: same id, time and body give the same signature."""
    endpoint = WebhookEndpoint(
        name="crm", url="https://crm.example/h", secret_env="CRM_SECRET", secret=SECRET
    )
    headers = signed_headers(
        signer(endpoint),
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        datetime.fromtimestamp(1614265330, UTC),
        '{"test": 2432232314}',
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


async def test_an_outage_with_errors_loses_nothing_and_keeps_each_leads_order(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    async with webhook_receiver(SECRET, up=False) as receiver:
        runtime = Runtime.create(hook_settings(make_settings, receiver.url), clock=clock)
        sender = WebhookSender(runtime)
        try:
            reps = await _directory(runtime)
            leads = [await store_lead(runtime, n) for n in range(8)]
            await sender.drain()  # the CRM is down: connection refused
            assert receiver.requests == 0 and await sender.pending() == 16

            # Life goes on during the outage.
            a, b, c, d, e = leads[:5]
            for lead in (a, b, c, d):
                await _claim(runtime, lead, reps[0], "P0")
            clock.advance(seconds=61)
            await sender.drain()  # still down
            await _report(runtime, a, reps[0], "P0", Report(StatusAction.CONTACTED))
            await _report(runtime, a, reps[0], "P0", Report(StatusAction.WON, revenue_eur=12500))
            follow = clock.now().date() + timedelta(days=7)
            await _report(
                runtime, b, reps[0], "P0", Report(StatusAction.FOLLOW_UP, follow_up_on=follow)
            )
            await _report(runtime, c, reps[0], "P0", Report(StatusAction.LOST, reason="price"))
            await _report(
                runtime, d, reps[0], "P0", Report(StatusAction.HAND_BACK, reason="conflict")
            )
            async with runtime.uow() as uow:
                await erase(uow, e, Actor.staff(Channel.API, name="api"))

            # Back, but failing for a while: five 500s, then three 429s asking for 30 s.
            await receiver.up()
            receiver.answer(500, times=5)
            receiver.answer(429, times=3, **{"Retry-After": "30"})
            await _settle(sender, clock)

            assert receiver.refused_signatures == []
            assert receiver.requests > len(receiver.accepted)  # the errors were real attempts
            ids = [m.id for m in receiver.accepted]
            assert len(ids) == len(set(ids))  # each once
            for lead in leads:
                assert receiver.of_lead(lead) == await _trail(runtime, lead), lead
            assert receiver.of_lead(a) == [
                "lead.received",
                "lead.offered",
                "lead.claimed",
                "lead.contacted",
                "lead.won",
            ]
            assert receiver.of_lead(b)[-1] == "lead.follow_up_set"
            assert receiver.of_lead(d)[-2:] == ["lead.returned", "lead.offered"]
            assert receiver.of_lead(e)[-1] == "lead.erased"
            async with runtime.uow() as uow:
                states = (await uow.session.scalars(select(WebhookDelivery.status))).all()
            assert set(states) == {WebhookStatus.DELIVERED} and len(states) == len(ids)

            by_type = {(m.lead_id, m.type): m.payload["data"] for m in receiver.accepted}
            won = by_type[(a, "lead.won")]
            assert won["status"] == "won" and won["revenue_eur"] == 12500.0
            assert won["partner"] == {"id": "P0", "name": "Partner 0"}
            assert won["rep"] == {"name": "Rep 0"} and won["closed_at"] is not None
            assert [ev["to_status"] for ev in won["events"] if ev["to_status"]][-1] == "won"
            assert by_type[(b, "lead.follow_up_set")]["follow_up_on"] == follow.isoformat()
            # Each event shows the lead as it was right after it, also when the same
            # transaction went on: handed back, then offered to the others again.
            returned = by_type[(d, "lead.returned")]
            assert returned["status"] == "returned" and returned["partner"] is None
            assert by_type[(d, "lead.offered")]["status"] == "offered"
            # Erasure reached the payloads still waiting: no external_id any more.
            assert {p["external_id"] for (lead, _), p in by_type.items() if lead == e} == {None}
            assert by_type[(a, "lead.received")]["external_id"] == "crm-0"
        finally:
            await sender.close()
            await runtime.close()


async def test_two_processes_share_the_queue_without_sending_anything_twice(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    """Two senders (each with its own runtime and connections, as two ``serve`` processes)
    drain one queue at the same time: every message once, each lead's in order."""
    async with webhook_receiver(SECRET) as receiver:
        settings = hook_settings(make_settings, receiver.url)
        runtimes = [Runtime.create(settings, clock=clock) for _ in range(2)]
        senders = [WebhookSender(rt) for rt in runtimes]
        try:
            reps = await _directory(runtimes[0], 1)
            leads = [await store_lead(runtimes[0], n) for n in range(30)]
            for lead in leads[::3]:
                await _claim(runtimes[1], lead, reps[0], "P0")
            receiver.answer(503, times=10)  # some retries in between
            for _ in range(60):
                await asyncio.gather(*(sender.drain() for sender in senders))
                if await senders[0].pending() == 0:
                    break
                clock.advance(seconds=61)
            assert await senders[0].pending() == 0
            ids = [m.id for m in receiver.accepted]
            assert len(ids) == len(set(ids)) == 30 * 2 + 10
            for lead in leads:
                assert receiver.of_lead(lead) == await _trail(runtimes[0], lead)
        finally:
            for sender, rt in zip(senders, runtimes, strict=True):
                await sender.close()
                await rt.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_new_database_does_not_reuse_the_webhook_ids_a_receiver_has_seen(
    make_settings: SettingsFactory,
    database_url: str,
    tmp_path: Path,
    _sqlite_databases: SqliteDatabases,
) -> None:
    """A CRM drops repeats by ``webhook-id``, as the docs tell it to. A leadbot that starts
    on a new database — staging, then production; a re-created one — against the same
    receiver must not send its first events under ids the receiver already has: they were
    ``msg_lb1``, ``msg_lb2``, … again, and dropped as repeats."""
    second = _sqlite_databases.create(tmp_path)
    async with webhook_receiver(SECRET) as receiver:
        for url, clock in (
            (database_url, ManualClock()),
            (second, ManualClock(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))),  # live later
        ):
            settings = hook_settings(make_settings, receiver.url)
            settings = settings.model_copy(
                update={"database": settings.database.model_copy(update={"url": url})}
            )
            runtime = Runtime.create(settings, clock=clock)
            sender = WebhookSender(runtime)
            try:
                await _directory(runtime, 1)
                await store_lead(runtime, 1)
                await _settle(sender, clock)
            finally:
                await sender.close()
                await runtime.close()
    ids = [m.id for m in receiver.accepted]
    assert len(ids) == 4 and len(set(ids)) == 4, ids
