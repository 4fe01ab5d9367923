"""Outbound webhooks over real HTTP: signed, in order per lead, at least once, retried.

The receiver (tests/emulators/webhooks.py) checks every request with the Standard Webhooks
reference verifier. Time is a ManualClock: backoffs and ``Retry-After`` pass by moving it,
never by sleeping.

Configuration errors of ``[[webhooks]]``: tests/test_webhooks_config.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Settings, WebhookEndpoint
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
from tests.support.cli import config_file
from tests.support.factories import add_partner, add_rep, store_lead

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]


def hook_settings(make_settings: SettingsFactory, url: str, **hook: Any) -> Settings:
    return make_settings(
        products=PRODUCTS,
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        webhooks=[
            {"name": "crm", "url": url, "secret_env": "CRM_SECRET", "secret": SECRET, **hook}
        ],
        webhook_sender={"min_backoff_seconds": 1, "max_backoff_seconds": 60, "concurrency": 8},
    )


async def _directory(runtime: Runtime, partners: int = 2) -> list[int]:
    reps = []
    async with runtime.uow() as uow:
        for i in range(partners):
            await add_partner(uow, f"P{i}", name=f"Partner {i}", max_open_leads=50)
            reps.append((await add_rep(uow, f"P{i}", f"rep{i}@p{i}.example", name=f"Rep {i}")).id)
        await uow.commit()
    return reps


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


async def _settle(sender: WebhookSender, clock: ManualClock, step: float = 61) -> None:
    """Send, moving the clock past every backoff, until nothing is pending."""
    for _ in range(60):
        await sender.drain()
        if await sender.pending() == 0:
            return
        clock.advance(seconds=step)
    raise AssertionError("webhooks still pending")


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


async def _leadbot(*args: str, config: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """The ``leadbot`` command in a subprocess, without blocking this test's event loop."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        "--config",
        str(config),
        env={**environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=config.parent,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_cli_status_test_and_replay(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    async with webhook_receiver(SECRET) as receiver:
        runtime = Runtime.create(hook_settings(make_settings, receiver.url), clock=clock)
        sender = WebhookSender(runtime)
        config = config_file(
            tmp_path,
            database_url,
            f'[[webhooks]]\nname = "crm"\nurl = "{receiver.url}"\nsecret_env = "CRM_SECRET"\n',
        )
        env = {"CRM_SECRET": SECRET}
        try:
            await _directory(runtime, 1)
            receiver.answer(410)
            lead = await store_lead(runtime, 1)
            await _settle(sender, clock)

            code, out, err = await _leadbot("webhooks", "status", config=config, env=env)
            assert code == 0, err
            assert f"crm: {receiver.url}" in out
            assert "pending 0, delivered 1, failed 1" in out
            assert f"failed #1 lead.received (lead {lead}, 1 attempt(s)): HTTP 410" in out

            code, out, err = await _leadbot("webhooks", "test", "crm", config=config, env=env)
            assert code == 0, err
            assert out.startswith("crm: delivered: HTTP 200")
            assert receiver.accepted[-1].type == "webhook.test"
            code, out, err = await _leadbot("webhooks", "test", "erp", config=config, env=env)
            assert code == 2 and "no webhook named 'erp' (known: crm)" in err
            receiver.answer(503)
            code, out, err = await _leadbot("webhooks", "test", "crm", config=config, env=env)
            assert code == 1 and "refused: HTTP 503" in err

            code, out, err = await _leadbot(
                "webhooks", "replay", "--since", "2026-03-01", config=config, env=env
            )
            assert code == 0, err
            assert "2 deliveries since 2026-02-28 23:00:00 UTC queued again." in out
            code, out, err = await _leadbot(
                "webhooks", "replay", "--since", "yesterday", config=config, env=env
            )
            assert code == 2 and "'yesterday' is not an ISO date or time" in err
            clock.set(datetime.now(UTC) + timedelta(seconds=1))  # replay queued at wall time
            await _settle(sender, clock)
            assert receiver.of_lead(lead) == ["lead.offered", "lead.received", "lead.offered"]
            assert [m.id for m in receiver.accepted][-2:] == ["msg_lb1", "msg_lb2"]  # same ids
        finally:
            await sender.close()
            await runtime.close()


async def test_serve_refuses_to_start_without_the_webhook_secret(
    database_url: str, tmp_path: Path
) -> None:
    config = config_file(
        tmp_path,
        database_url,
        '[[webhooks]]\nname = "crm"\nurl = "https://crm.example/h"\nsecret_env = "CRM_SECRET"\n',
    )
    code, _out, err = await _leadbot("serve", "--port", "0", config=config, env={})
    assert code == 2
    assert 'webhooks["crm"]: the environment variable CRM_SECRET' in err
