"""Telegram updates are applied once: marked seen in the database with their work.

The crash case (an update lost mid-way is processed when Telegram re-sends it) is
tests/test_press_crash.py; here: the same update arriving twice at the same moment is
processed once and both deliveries get 200 only after it was applied, a press applied
before is not applied again, and marks older than two days are forgotten by the
scheduler (a very late re-send is processed again, as a new press would be).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.models import LeadStatus
from bot.models.resilience import SeenDelivery
from tests.support.telegram_world import World, telegram_settings, telegram_world


async def seen_count(world: World) -> int:
    async with world.bot.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SeenDelivery)) or 0)


async def test_the_same_update_twice_at_once_is_applied_once(
    make_settings, telegram_emulator
) -> None:
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead_id = await world.post_lead()
        teaser = await world.teaser(world.groups[0])
        user, data = world.users[0], teaser.button("claim:")["callback_data"]
        first = await world.driver.press_button(user, teaser, data)
        assert first.status == 200
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        answers = len(telegram_emulator.callback_answers(user))

        url, world.driver.webhook_url = world.driver.webhook_url, "http://127.0.0.1:9/nowhere"
        lost = await world.driver.command(user, "help")  # never reached the bot
        world.driver.webhook_url = url
        assert lost.error is not None
        both = await asyncio.gather(world.driver.resend(lost), world.driver.resend(lost))
        assert [d.status for d in both] == [200, 200]
        helps = [m for m in telegram_emulator.bot_messages(user) if "/leads" in m.plain_text]
        assert len(helps) == 1  # answered once, and before either delivery got its 200

        again = await world.driver.resend(first)  # the press, applied before
        assert again.status == 200
        assert len(telegram_emulator.callback_answers(user)) == answers


async def test_marks_older_than_two_days_are_forgotten(make_settings, telegram_emulator) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1, clock=clock) as world:
        user = world.users[0]
        first = await world.driver.command(user, "help")
        assert first.status == 200 and await seen_count(world) == 1
        clock.advance(days=2, hours=2)
        deadline = asyncio.get_running_loop().time() + 10
        while await seen_count(world) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        assert await seen_count(world) == 0
        later = await world.driver.resend(first)  # so late that it counts as new
        assert later.status == 200
        helps = [m for m in telegram_emulator.bot_messages(user) if "/leads" in m.plain_text]
        assert len(helps) == 2
