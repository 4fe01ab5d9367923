"""A lead card's updates go where the card lives, not to every platform the owner has.

Sophie claimed on Telegram and also has a Slack account; her colleague works on Slack
only. When either reports from Slack, Sophie's Telegram card shows the new status (the
same message, edited), the one who reported is answered on Slack — and no new full card,
with the prospect's personal data, turns up in anyone's Slack DM.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from bot.clock import ManualClock
from bot.config import Settings
from bot.models import LeadStatus
from bot.runtime import Runtime
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.botserver import RunningBot, running_bot
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.two_platforms import both_platforms
from tests.support.world import lead_of, outbox_settled

API_TOKEN = "card-token"
GROUP, SOPHIE_TG, SOPHIE_SLACK, COLLEAGUE_SLACK = -1_000_777, 7001, "U0SOPHIE", "U0COLL"
COMPANY = "Brauerei Huber GmbH"


async def _directory(
    settings: Settings, slack: SlackEmulator, tg: TelegramEmulator, *, started: bool = True
) -> None:
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", telegram_chat_id=GROUP)
        await add_rep(
            uow,
            "P1",
            "sophie@p1.example",
            name="Sophie",
            slack_user_id=SOPHIE_SLACK,
            telegram_user_id=SOPHIE_TG,
            telegram_started_at=datetime.now(UTC) if started else None,
        )
        await add_rep(uow, "P1", "colleague@p1.example", name="Kollege", slack_user_id="U0COLL")
        await uow.commit()
    await runtime.close()
    tg.add_group(GROUP, "Partner P1")
    tg.add_user(SOPHIE_TG, "Sophie", language_code="de")
    if started:
        tg.start_user(SOPHIE_TG)
    slack.add_users(SOPHIE_SLACK, COLLEAGUE_SLACK)


async def _claimed_on_telegram(bot: RunningBot, tg: TelegramEmulator) -> int:
    """A lead posted to the API and claimed by Sophie in her partner's Telegram group; its id."""
    tg_driver = tg.driver(webhook_url=f"{bot.url}/telegram/webhook")
    async with httpx.AsyncClient(base_url=bot.url) as http:
        created = await http.post(
            "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
    lead_id = int(created.json()["id"])
    teaser = await tg.wait_for_async(
        lambda: next((m for m in tg.bot_messages(GROUP) if m.button("claim:")), None),
        15,
        "the teaser in the group",
    )
    await tg_driver.press_button(SOPHIE_TG, teaser, teaser.button("claim:")["callback_data"])
    for _ in range(150):
        if (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED:
            return lead_id
        await asyncio.sleep(0.1)
    raise AssertionError(f"lead {lead_id} not claimed")


async def test_reports_from_slack_edit_the_telegram_card_and_send_no_slack_card(
    make_settings, slack_emulator: SlackEmulator, telegram_emulator: TelegramEmulator
) -> None:
    slack, tg = slack_emulator, telegram_emulator
    settings = both_platforms(make_settings, slack, tg, api_token=API_TOKEN)
    await _directory(settings, slack, tg)
    async with running_bot(settings) as bot:
        slack_driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)
        lead_id = await _claimed_on_telegram(bot, tg)

        def card() -> object:
            return next((m for m in tg.bot_messages(SOPHIE_TG) if COMPANY in m.plain_text), None)

        first = await tg.wait_for_async(card, 15, "Sophie's card on Telegram")

        def slack_cards() -> list[str]:
            return [
                m.all_text
                for user in (SOPHIE_SLACK, COLLEAGUE_SLACK)
                for m in slack.dm_messages(user)
                if COMPANY in m.all_text or "Maria Huber" in m.all_text
            ]

        for user, step, word in (
            (COLLEAGUE_SLACK, "contacted", "kontaktiert"),
            (SOPHIE_SLACK, "meeting", "Termin"),
        ):
            answered = await slack_driver.slash_command("/leads", f"{step} {lead_id}", user=user)
            assert answered.status == 200

            def told(user: str = user, word: str = word, body: str = answered.body) -> bool:
                texts = [e.text for e in slack.ephemerals(user=user)]
                texts += [body]
                return any(f"Lead #{lead_id}: {word}" in t for t in texts)

            await slack.wait_for_async(told, 15, f"{user} told on Slack")
            await tg.wait_for_async(
                lambda word=word: word in tg.message(SOPHIE_TG, first.message_id).plain_text,
                15,
                f"the Telegram card edited to {word}",
            )
            await outbox_settled(bot.sender, 15)
            assert slack_cards() == []
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.MEETING
        cards = [m for m in tg.bot_messages(SOPHIE_TG) if COMPANY in m.plain_text]
        assert [m.message_id for m in cards] == [first.message_id]  # edited, never sent again

        # Handed back from Slack: the Telegram card says so (without the lead), Slack gets none.
        await slack_driver.slash_command(
            "/leads", f"handback {lead_id} no_capacity", user=SOPHIE_SLACK
        )
        await tg.wait_for_async(
            lambda: "zurückgegeben" in tg.message(SOPHIE_TG, first.message_id).plain_text,
            15,
            "the Telegram card edited to 'returned'",
        )
        await outbox_settled(bot.sender, 15)
        assert COMPANY not in tg.message(SOPHIE_TG, first.message_id).plain_text
        assert [
            m.all_text for m in slack.dm_messages(SOPHIE_SLACK) if f"#{lead_id}" in m.all_text
        ] == []


async def test_a_reminder_goes_where_the_lead_was_claimed_only(
    make_settings, slack_emulator: SlackEmulator, telegram_emulator: TelegramEmulator
) -> None:
    """Sophie claimed on Telegram; the first-contact reminder came on Telegram *and* as a
    Slack DM (every platform she has), unlike the card, news and sales kit of the lead."""
    slack, tg = slack_emulator, telegram_emulator
    settings = both_platforms(make_settings, slack, tg, api_token=API_TOKEN)
    await _directory(settings, slack, tg)
    clock = ManualClock(datetime.now(UTC))
    async with running_bot(settings, clock=clock) as bot:
        lead_id = await _claimed_on_telegram(bot, tg)
        await tg.wait_for_async(
            lambda: any(COMPANY in m.plain_text for m in tg.bot_messages(SOPHIE_TG)),
            15,
            "Sophie's card on Telegram",
        )
        clock.advance(hours=20, minutes=1)  # 4 h before the 24 h deadline
        reminder = f"Erinnerung: Lead #{lead_id} wartet auf Ihre Kontaktaufnahme"
        await tg.wait_for_async(
            lambda: any(reminder in m.plain_text for m in tg.bot_messages(SOPHIE_TG)),
            15,
            "the reminder on Telegram",
        )
        await outbox_settled(bot.sender, 15)
        assert [m.all_text for m in slack.dm_messages(SOPHIE_SLACK)] == []


async def test_a_reminder_the_claim_platform_cannot_deliver_goes_to_the_other(
    make_settings, slack_emulator: SlackEmulator, telegram_emulator: TelegramEmulator
) -> None:
    """Sophie claimed in her partner's Telegram group but never opened a private chat with
    the bot: her card waits there for /start. The first-contact reminder waited with it —
    the lead was taken away without her hearing of it — though she is on Slack too."""
    slack, tg = slack_emulator, telegram_emulator
    settings = both_platforms(make_settings, slack, tg, api_token=API_TOKEN)
    await _directory(settings, slack, tg, started=False)
    clock = ManualClock(datetime.now(UTC))
    async with running_bot(settings, clock=clock) as bot:
        lead_id = await _claimed_on_telegram(bot, tg)
        clock.advance(hours=20, minutes=1)
        reminder = f"Erinnerung: Lead #{lead_id} wartet auf Ihre Kontaktaufnahme"
        await slack.wait_for_async(
            lambda: any(reminder in m.all_text for m in slack.dm_messages(SOPHIE_SLACK)),
            15,
            "the reminder on Slack",
        )
        assert not any(COMPANY in m.all_text for m in slack.dm_messages(SOPHIE_SLACK))
