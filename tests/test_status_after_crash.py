"""``leadbot outbox status`` and ``leadbot webhooks status`` right after ``leadbot serve`` was
killed (SIGKILL) in the middle of a send, and again once its leases ran out.

The platform (the Slack emulator) and the CRM (a webhook receiver) hold their answers, so
the killed process leaves rows leased in its name. A lease says only that a process took a
row until then, not that it still runs: the status says who holds what until when, and once
the lease has run out, that the sender stopped mid-send and the rows are in doubt (outbox)
or sent again (webhooks) — never "being sent by a running sender" for a dead one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.models import OutboxMessage, OutboxStatus, WebhookDelivery, WebhookStatus
from tests.emulators.webhooks import webhook_receiver_thread
from tests.support.cli import db_session, leadbot_process
from tests.support.fanout import fanout_world
from tests.support.webhooks import SECRET

HELD = 2  # Slack posts that take effect but whose answers are held when the sender dies
LOCK_SECONDS = 10  # the outbox lease: long enough to look before it runs out
LEASE_SECONDS = 15  # the webhook lease, likewise


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _wait(until: datetime, what: str) -> None:
    """Sleep until ``until`` has passed (a lease's end), at most a minute."""
    left = (until - datetime.now(UTC)).total_seconds() + 0.5
    assert left < 60, f"{what} ends in {left:.0f} s"
    time.sleep(max(0.0, left))


def test_outbox_status_names_the_killed_sender_and_its_leases(
    database_url: str, tmp_path: Path
) -> None:
    with fanout_world(
        database_url,
        tmp_path,
        2,
        telegram=False,
        settings={"outbox": {"lock_seconds": LOCK_SECONDS}},
    ) as world:
        slack = world.slack
        assert slack is not None
        with world.serving() as first:
            held = slack.faults.late("chat.postMessage", 120, times=HELD)
            world.post_lead(first, 1)
            slack.wait_for(lambda: held.remaining == 0, 30, "held Slack posts")
            pid = first.process.pid
            world.kill(first)
        with db_session(database_url) as session:
            leases = session.execute(
                select(
                    OutboxMessage.claimed_by,
                    func.count(),
                    func.max(OutboxMessage.locked_until),
                )
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .where(OutboxMessage.claimed_by.is_not(None))
                .group_by(OutboxMessage.claimed_by)
            ).all()
        assert len(leases) == 1  # one process held them: the one killed
        holder, rows, until = leases[0]
        assert holder.split(":")[1] == str(pid) and rows >= HELD

        status = leadbot_process("outbox", "status", config=world.config)
        print(status.stdout)
        assert status.returncode == 0, status.stderr
        assert f"slack: {rows} being sent, leased by {holder} until {_utc(until)} (in " in (
            status.stdout
        )
        assert (
            "a lease names the process that took a notice, not that it still runs: if that "
            "process died, its notices are in doubt once the lease runs out"
        ) in status.stdout
        assert "running sender" not in status.stdout

        _wait(until, "the dead sender's lease")
        status = leadbot_process("outbox", "status", config=world.config)
        print(status.stdout)
        assert status.returncode == 0, status.stderr
        assert (
            f"slack: {rows} in doubt, leased by {holder} until {_utc(until)} ("
        ) in status.stdout
        assert (
            " s ago): the lease ran out, that sender stopped mid-send; taken over by the next "
            "sender"
        ) in status.stdout
        assert (
            "in doubt: may already be on the platform; Slack is searched for the message "
            "before it is posted again, other platforms may show it twice"
        ) in status.stdout
        assert "being sent" not in status.stdout


def test_webhooks_status_shows_the_killed_senders_lease_and_what_is_due(
    database_url: str, tmp_path: Path
) -> None:
    with (
        webhook_receiver_thread(SECRET) as receiver,
        fanout_world(
            database_url,
            tmp_path,
            1,
            telegram=False,
            settings={"webhook_sender": {"lease_seconds": LEASE_SECONDS, "poll_seconds": 0.2}},
        ) as world,
    ):
        slack = world.slack
        assert slack is not None
        with world.config.open("a", encoding="utf-8") as config:
            config.write(f'[[webhooks]]\nname = "crm"\nurl = "{receiver.url}"\n')
            config.write('secret_env = "CRM_SECRET"\n')
        env = {"CRM_SECRET": SECRET}
        receiver.hold(120)
        with world.serving(**env) as first:
            world.post_lead(first, 1)
            slack.wait_for(lambda: receiver.holding == 1, 30, "the CRM holding a request")
            world.kill(first)
        with db_session(database_url) as session:
            pending = session.execute(
                select(
                    WebhookDelivery.created_at,
                    WebhookDelivery.next_attempt_at,
                    WebhookDelivery.leased_until,
                )
                .where(WebhookDelivery.status == WebhookStatus.PENDING)
                .order_by(WebhookDelivery.id)
            ).all()
        assert len(pending) == 2  # lead.received (on its way when killed), lead.offered
        (created, due, until), (_, _, behind_lease) = pending
        assert until is not None and behind_lease is None

        status = leadbot_process("webhooks", "status", config=world.config, env=env)
        print(status.stdout)
        assert status.returncode == 0, status.stderr
        lines = status.stdout.splitlines()
        # Nothing is free to go: the one due waits behind the leased one of its lead.
        assert f"  pending 2, delivered 0, failed 0; oldest waiting since {_utc(created)}" in lines
        assert any(
            line.startswith(f"  1 being sent, leased by a sender until {_utc(until)} (in ")
            and line.endswith(" s): if that sender died, sent again once the lease runs out")
            for line in lines
        ), status.stdout
        assert "  1 waiting for an earlier event of the same lead" in lines

        _wait(until, "the dead sender's lease")
        status = leadbot_process("webhooks", "status", config=world.config, env=env)
        print(status.stdout)
        assert status.returncode == 0, status.stderr
        lines = status.stdout.splitlines()
        assert (
            f"  pending 2, delivered 0, failed 0; oldest waiting since {_utc(created)}, "
            f"next attempt due now (since {_utc(due)})"
        ) in lines
        assert any(
            line.startswith(f"  1 in doubt, leased by a sender until {_utc(until)} (")
            and line.endswith(
                " s ago): the lease ran out, that sender stopped mid-send; sent again by the "
                "next sender (the receiver may get it twice, with the same webhook-id)"
            )
            for line in lines
        ), status.stdout
        assert "being sent" not in status.stdout
