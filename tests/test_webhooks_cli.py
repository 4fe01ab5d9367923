"""``leadbot webhooks status | test NAME | replay --since``, run as a user would (a
subprocess against a real receiver), and ``leadbot serve`` refusing to start without an
endpoint's secret.

Sending webhooks: tests/test_webhooks_delivery.py and tests/test_webhooks_retries.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.crm.sender import WebhookSender
from bot.models import WebhookDelivery
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.emulators.webhooks import webhook_receiver
from tests.support.cli import config_file
from tests.support.factories import store_lead
from tests.support.webhooks import SECRET, hook_settings
from tests.support.webhooks import directory as _directory
from tests.support.webhooks import settle as _settle


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
            offered, replayed = receiver.accepted[0], receiver.accepted[-2:]
            assert replayed[0].id.startswith("msg_lb1_")  # the refused one, first sent now
            assert replayed[1].id == offered.id  # the same id again
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


async def test_status_says_when_the_next_attempt_is_due_and_what_waits_behind(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    """No sender runs: a next attempt already past is due now, not a time in the past; the
    later event of each lead waits behind its first; a disabled endpoint sends nothing.
    (Leases of a killed sender: tests/test_status_after_crash.py.)"""
    hook = '[[webhooks]]\nname = "crm"\nurl = "https://crm.example/h"\nsecret_env = "CRM_SECRET"\n'
    runtime = Runtime.create(hook_settings(make_settings, "https://crm.example/h"))
    env = {"CRM_SECRET": SECRET}
    try:
        await _directory(runtime, 1)
        for n in (1, 2):
            await store_lead(runtime, n)
        now = datetime.now(UTC)
        overdue, later = now - timedelta(minutes=3), now + timedelta(minutes=5)
        async with runtime.uow() as uow:
            rows = list(
                await uow.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
            )
            assert [r.event_type for r in rows] == ["lead.received", "lead.offered"] * 2
            rows[0].next_attempt_at, rows[0].last_error = later, "HTTP 503: maintenance"
            rows[2].next_attempt_at = overdue
            oldest = min(r.created_at for r in rows)
            await uow.commit()
        since, due, retry = (t.strftime("%Y-%m-%d %H:%M:%S UTC") for t in (oldest, overdue, later))
        config = config_file(tmp_path, database_url, hook)
        code, out, err = await _leadbot("webhooks", "status", config=config, env=env)
        assert code == 0, err
        assert out.splitlines()[2:] == [
            f"  pending 4, delivered 0, failed 0; oldest waiting since {since}, next attempt "
            f"due now (since {due})",
            "  2 waiting for an earlier event of the same lead",
            "  retrying: HTTP 503: maintenance",
        ]

        async with runtime.uow() as uow:
            await uow.session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.next_attempt_at == overdue)
                .values(next_attempt_at=later + timedelta(minutes=1))
            )
            await uow.commit()
        code, out, err = await _leadbot("webhooks", "status", config=config, env=env)
        assert code == 0, err
        assert f"oldest waiting since {since}, next attempt {retry}\n" in out

        config = config_file(tmp_path, database_url, hook + "enabled = false\n")
        code, out, err = await _leadbot("webhooks", "status", config=config, env=env)
        assert code == 0, err
        assert "crm (disabled): https://crm.example/h" in out
        assert f"oldest waiting since {since}, next attempt once enabled again\n" in out
    finally:
        await runtime.close()


async def test_the_test_message_goes_out_as_deliveries_do_and_says_what_went_wrong(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    """An integrator's first check: the test message comes with the User-Agent the real
    deliveries have (a receiver's firewall rule written for it holds for both), and a
    receiver that does not answer in time, or redirects, is named as such — it said
    ``not delivered: ReadTimeout: `` with nothing after the colon."""
    async with webhook_receiver(SECRET) as receiver:
        runtime = Runtime.create(hook_settings(make_settings, receiver.url), clock=clock)
        sender = WebhookSender(runtime)
        config = config_file(
            tmp_path,
            database_url,
            f'[[webhooks]]\nname = "crm"\nurl = "{receiver.url}"\nsecret_env = "CRM_SECRET"\n'
            "timeout_seconds = 1\n",
        )
        env = {"CRM_SECRET": SECRET}
        try:
            await _directory(runtime, 1)
            await store_lead(runtime, 1)
            await _settle(sender, clock)
            code, _, err = await _leadbot("webhooks", "test", "crm", config=config, env=env)
            assert code == 0, err
            assert receiver.user_agents[-1] == receiver.user_agents[0]
            assert receiver.user_agents[0].startswith("leadbot-webhooks")

            receiver.hold(3)
            code, _, err = await _leadbot("webhooks", "test", "crm", config=config, env=env)
            assert code == 1
            assert err.strip() == "leadbot: crm: not delivered: no answer within 1 s"

            while receiver.holding:  # the held request ends before the next is scripted
                await asyncio.sleep(0.05)
            receiver.answer(307, Location="https://elsewhere.example/hook")
            code, _, err = await _leadbot("webhooks", "test", "crm", config=config, env=env)
            assert code == 1
            assert (
                "refused: HTTP 307 (redirect to https://elsewhere.example/hook, not followed)"
                in err
            )
        finally:
            await sender.close()
            await runtime.close()
