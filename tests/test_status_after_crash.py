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

from bot.models import OutboxMessage, OutboxStatus
from tests.support.cli import db_session, leadbot_process
from tests.support.fanout import fanout_world

HELD = 2  # Slack posts that take effect but whose answers are held when the sender dies
LOCK_SECONDS = 10  # the outbox lease: long enough to look before it runs out


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
