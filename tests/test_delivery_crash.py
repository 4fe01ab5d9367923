"""``leadbot serve`` killed with SIGKILL in the middle of sending, and started again.

The bot runs as a real process against the Slack and Telegram emulators (served from the
test process, so they outlive the crash like the real platforms). Just before the kill the
emulators are told to perform the next posts but hold their answers: those messages are
on the platform while the bot has not heard of them — the worst moment to die.

What must hold after the restart: every channel has its teaser; on Slack nothing is posted
twice (rows in doubt are looked up in the channel's history); on Telegram, which has no
such lookup, at most one duplicate per message that was on its way; and everything is
delivered within half a minute of the restart, although the dead process's rows are leased
(a few 6 s leases: not left to a retry backoff of minutes; a bound against being stuck,
not a speed target — a busy CI machine needs its margin).
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from bot.models import OutboxMessage, OutboxStatus
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.support.fanout import channel, fanout_world, group, rep_user

PARTNERS = 200
HELD = 4  # posts per platform that take effect just before the kill, their answers held
RECOVERY_SECONDS = 30


def test_a_fanout_killed_midway_finishes_after_a_restart(database_url: str, tmp_path: Path) -> None:
    with fanout_world(
        database_url,
        tmp_path,
        PARTNERS,
        telegram_options={"global_per_second": 60.0},
        # Paced so that the kill lands in the middle of both fanouts.
        settings={
            "slack": {"workspace_per_second": 40.0, "workspace_burst": 20},
            "telegram": {"global_per_second": 50.0},
        },
    ) as world:
        slack, telegram = world.slack, world.telegram
        assert slack is not None and telegram is not None
        with world.serving() as first:
            world.post_lead(first, 1)
            slack.wait_for(lambda: world.slack_reached() >= 60, 30, "60 Slack teasers")
            slack_held = slack.faults.late("chat.postMessage", 120, times=HELD)
            telegram.wait_for(lambda: world.telegram_reached() >= 60, 30, "60 Telegram teasers")
            telegram_held = telegram.faults.late("sendMessage", 120, times=HELD)
            slack.wait_for(lambda: slack_held.remaining == 0, 30, "held Slack posts")
            telegram.wait_for(lambda: telegram_held.remaining == 0, 30, "held Telegram posts")
            world.kill(first)
        # What the dead process held: claimed by it, not marked sent.
        on_their_way = {
            platform: world.outbox_count(
                OutboxMessage.platform == platform,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.claimed_by.is_not(None),
            )
            for platform in ("slack", "telegram")
        }
        assert world.slack_reached() < PARTNERS and world.telegram_reached() < PARTNERS
        assert on_their_way["slack"] >= HELD and on_their_way["telegram"] >= HELD

        restarted = time.time()
        with world.serving() as second:
            slack.wait_for(lambda: world.slack_reached() == PARTNERS, 60, "all Slack teasers")
            telegram.wait_for(lambda: world.telegram_reached() == PARTNERS, 60, "all teasers")
            slack.wait_for(
                lambda: world.pending("slack") + world.pending("telegram") == 0, 30, "outbox"
            )
            assert second.stop(signal.SIGTERM) == 0

        last = max(
            *(slack.bot_message_times(channel(n))[0] for n in range(PARTNERS)),
            *(telegram.bot_message_times(group(n))[0] for n in range(PARTNERS)),
        )
        assert last - restarted < RECOVERY_SECONDS
        slack_duplicates = sum(world.slack_teasers(n) - 1 for n in range(PARTNERS))
        telegram_duplicates = sum(world.telegram_teasers(n) - 1 for n in range(PARTNERS))
        assert slack_duplicates == 0
        assert HELD <= telegram_duplicates <= on_their_way["telegram"]
        assert "was already posted" in second.output  # the held posts were found, not repeated


def test_a_lead_card_slack_took_just_before_a_crash_is_not_posted_again(
    database_url: str, tmp_path: Path
) -> None:
    with fanout_world(database_url, tmp_path, 2, telegram=False) as world:
        slack = world.slack
        assert slack is not None
        dm = slack.dm_channel(rep_user(0))
        with world.serving() as first:
            world.post_lead(first, 1)
            slack.wait_for(lambda: world.slack_teasers(0), 30, "the teaser")
            card_held = slack.faults.late(
                "chat.postMessage", 120, when=lambda params: params.get("channel") == dm
            )
            driver = slack.driver(f"{first.url}/slack/events", SLACK_SIGNING_SECRET)
            pressed = asyncio.run(
                driver.press_button("lead_claim", user=rep_user(0), channel=channel(0))
            )
            assert pressed.status == 200
            slack.wait_for(lambda: card_held.remaining == 0, 30, "the lead card in the DM")
            world.kill(first)
        assert world.pending("slack", "lead_card") == 1  # the bot never heard it went out

        with world.serving() as second:
            slack.wait_for(lambda: world.pending("slack") == 0, 30, "the rest of the outbox")
            assert second.stop(signal.SIGTERM) == 0

        cards = [m for m in slack.dm_messages(rep_user(0)) if "Prospect 1 GmbH" in m.all_text]
        assert len(cards) == 1  # the card, once; the sales kit after it is another message
        assert "was already posted" in second.output
