"""Slack and Telegram reps race for one lead: exactly one winner across both platforms.

15 partners take leads in Slack channels, 15 in Telegram groups. All 30 reps press Claim
at the same moment — signed Slack interactions and Telegram callback updates, over real
HTTP into the one assembled bot. The database decides; both platforms must agree.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from bot.config import Settings
from bot.models import Lead, LeadStatus
from bot.runtime import Runtime
from tests.emulators.fixtures import (
    SLACK_SIGNING_SECRET,
)
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.botserver import running_bot
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.two_platforms import both_platforms
from tests.support.world import outbox_settled

PER_PLATFORM = 15
API_TOKEN = "race-token"
SLACK = [(f"PS{i:02d}", f"CS{i:04d}", f"US{i:04d}") for i in range(PER_PLATFORM)]
TELEGRAM = [(f"PT{i:02d}", -2_000_000 - i, 8_000 + i) for i in range(PER_PLATFORM)]


async def _directory(settings: Settings, slack: SlackEmulator, tg: TelegramEmulator) -> None:
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        for pid, channel, user in SLACK:
            await add_partner(uow, pid, slack_channel=channel)
            await add_rep(uow, pid, f"{user.lower()}@{pid.lower()}.example", slack_user_id=user)
            slack.add_channel(channel, f"partner-{pid.lower()}")
            slack.add_user(user)
        for pid, group, user in TELEGRAM:
            await add_partner(uow, pid, telegram_chat_id=group)
            await add_rep(
                uow,
                pid,
                f"tg{user}@{pid.lower()}.example",
                telegram_user_id=user,
                telegram_started_at=datetime.now(UTC),
            )
            tg.add_group(group, f"Partner {pid}")
            tg.add_user(user, f"Rep{user}", language_code="de")
            tg.start_user(user)
        await uow.commit()
    await runtime.close()


@pytest.mark.serial  # 30 presses and their edits in time: the whole machine, not a third
async def test_30_presses_across_slack_and_telegram_have_one_winner(
    make_settings, slack_emulator: SlackEmulator, telegram_emulator: TelegramEmulator
) -> None:
    slack, tg = slack_emulator, telegram_emulator
    settings = both_platforms(make_settings, slack, tg, api_token=API_TOKEN)
    await _directory(settings, slack, tg)
    async with running_bot(settings) as bot:
        slack_driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)
        tg_driver = tg.driver(webhook_url=f"{bot.url}/telegram/webhook")
        async with httpx.AsyncClient(base_url=bot.url) as http:
            created = await http.post(
                "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {API_TOKEN}"}
            )
        assert created.status_code == 201
        lead_id = created.json()["id"]

        slack_teasers = {
            channel: await slack.wait_for_async(
                lambda c=channel: next(
                    (m for m in slack.bot_messages(c) if m.button("lead_claim")), None
                ),
                15,
                f"a teaser in {channel}",
            )
            for _, channel, _ in SLACK
        }
        tg_teasers = {
            group: await tg.wait_for_async(
                lambda g=group: next((m for m in tg.bot_messages(g) if m.button("claim:")), None),
                15,
                f"a teaser in {group}",
            )
            for _, group, _ in TELEGRAM
        }

        presses = [
            slack_driver.press_button("lead_claim", user=user, channel=channel)
            for _, channel, user in SLACK
        ] + [
            tg_driver.press_button(
                user, tg_teasers[group], tg_teasers[group].button("claim:")["callback_data"]
            )
            for _, group, user in TELEGRAM
        ]
        results = await asyncio.gather(*presses)
        assert all(r.status == 200 for r in results)
        # A hang guard, not a speed claim (bench/claims.py measures ack times).
        assert max(r.elapsed for r in results[:PER_PLATFORM]) < 10.0

        # Everyone got an answer on their own platform.
        await slack.wait_for_async(lambda: len(slack.ephemerals()) == PER_PLATFORM, 15)
        await tg.wait_for_async(lambda: len(tg.callback_answers()) == PER_PLATFORM, 15)

        async with bot.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
        assert lead is not None and lead.status is LeadStatus.CLAIMED
        winner = lead.owner_partner_id
        assert winner in {p for p, _, _ in SLACK} | {p for p, _, _ in TELEGRAM}

        def all_edited() -> bool:
            slack_done = all(
                slack.bot_messages(channel)[0].buttons() == [] for _, channel, _ in SLACK
            )
            tg_done = all(tg.bot_messages(group)[0].buttons() == [] for _, group, _ in TELEGRAM)
            return slack_done and tg_done

        await slack.wait_for_async(all_edited, 20, "every teaser on both platforms taken")
        for _, channel, _ in SLACK:
            [teaser] = slack.bot_messages(channel)
            assert teaser.ts == slack_teasers[channel].ts and "Vergeben" in teaser.all_text
            assert winner not in teaser.all_text
        for _, group, _ in TELEGRAM:
            [teaser] = tg.bot_messages(group)
            assert teaser.message_id == tg_teasers[group].message_id
            assert "Vergeben" in teaser.plain_text and winner not in teaser.plain_text

        # Exactly one private hand-over, on the winner's platform.
        def hand_overs() -> list[str]:
            found = [
                user
                for _, _, user in SLACK
                if any("Brauerei Huber GmbH" in m.all_text for m in slack.dm_messages(user))
            ]
            found += [
                str(user)
                for _, _, user in TELEGRAM
                if any("Brauerei Huber GmbH" in m.plain_text for m in tg.bot_messages(user))
            ]
            return found

        await slack.wait_for_async(lambda: len(hand_overs()) >= 1, 15, "the hand-over")
        await outbox_settled(bot.sender, 15)  # a second hand-over would have been sent by now
        assert await bot.sender.pending() == 0
        assert len(hand_overs()) == 1

        slack_answers = {e.user: e.text for e in slack.ephemerals()}
        tg_alerts = [a for a in tg.callback_answers() if a.show_alert]
        slack_losers = [t for u, t in slack_answers.items() if "gehört Ihnen" not in t]
        assert all("bereits übernommen" in t for t in slack_losers), slack_answers
        winners_told = PER_PLATFORM * 2 - len(slack_losers) - len(tg_alerts)
        assert winners_told == 1
