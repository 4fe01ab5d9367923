"""E-mail as the fallback: a rep whose Telegram private chat is not open gets the card by mail.

Telegram refuses to message a user who never started the bot. When such a rep claims in
their partner's group, the card (and the content pack) must not wait for a chat the rep
may never open: with e-mail enabled they go to the rep's address as well, with the status
links. A rep whose private chat is open gets nothing by e-mail.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.clock import ManualClock
from bot.delivery.retry import DELAY_ALERT_ATTEMPTS
from bot.models import OutboxMessage, OutboxStatus
from bot.runtime import Runtime
from tests.emulators.smtp import SmtpServer
from tests.emulators.telegram import TelegramEmulator
from tests.support.email_world import PUBLIC_URL, Browser, email_section
from tests.support.telegram_world import World, group_of, telegram_settings, telegram_world

COMPANY = "Brauerei Huber GmbH"
STAFF_CHAT = -100777


def settings_with_email(make_settings, tg: TelegramEmulator, smtp: SmtpServer, **sections):
    return telegram_settings(
        make_settings,
        tg,
        email=email_section(smtp),
        server={"api_token": "tg-e2e-token", "public_url": PUBLIC_URL},
        **sections,
    )


def settings_with_staff_chat(make_settings, tg: TelegramEmulator, smtp: SmtpServer):
    """E-mail set up, and an English staff chat on Telegram that hears of delays."""
    tg.add_group(STAFF_CHAT, "leadbot staff")
    return settings_with_email(
        make_settings, tg, smtp, telegram={"staff_chat_id": STAFF_CHAT}, staff={"language": "en"}
    )


async def telegram_rows(runtime: Runtime, user: int) -> list[OutboxMessage]:
    async with runtime.uow() as uow:
        query = select(OutboxMessage).where(
            OutboxMessage.platform == "telegram", OutboxMessage.address == str(user)
        )
        return list((await uow.session.scalars(query)).all())


async def retry_until_staff_hear(world: World, clock: ManualClock, chat: int) -> None:
    """Let the clock run past each backoff (30 s at most here) until the Telegram rows to
    ``chat`` were tried as often as it takes for staff to hear of the delay."""

    async def attempts() -> int:
        return max((r.attempts for r in await telegram_rows(world.runtime, chat)), default=0)

    for _ in range(DELAY_ALERT_ATTEMPTS * 20):
        if await attempts() >= DELAY_ALERT_ATTEMPTS:
            break
        clock.advance(seconds=60)
        await world.runtime.wake_outbox()
        await asyncio.sleep(0.05)
    assert await attempts() >= DELAY_ALERT_ATTEMPTS


async def staff_alert(world: World) -> str:
    """The one notice in the staff chat about a delivery that waits or is delayed."""

    def told() -> list[str]:
        texts = [m.plain_text for m in world.tg.bot_messages(STAFF_CHAT)]
        return [t for t in texts if "still waits" in t or "delayed" in t]

    await world.tg.wait_for_async(told, timeout=10)
    (notice,) = told()
    return notice


async def test_rep_without_a_started_private_chat_gets_the_card_by_email(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    settings = settings_with_email(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(settings, telegram_emulator, partners=1, started=False) as world:
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        assert smtp_server.mails == []  # the group has the teaser; partners have no inbox
        rep = world.users[0]
        pressed = await world.driver.press(rep, "claim:", chat_id=world.groups[0])
        assert pressed.status == 200

        card = await smtp_server.wait_for_mail("rep0@p0.example")
        assert card.subject == f"Lead #{lead_id}: {COMPANY}"
        assert "Maria Huber" in card.text and card.link("Kontaktiert")
        pack = await smtp_server.wait_for_mail("rep0@p0.example", 2)
        assert "X200" in pack.text
        assert not any(COMPANY in m.plain_text for m in world.tg.bot_messages(rep))
        async with world.runtime.uow() as uow:
            waiting = (
                await uow.session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.platform == "telegram",
                        OutboxMessage.address == str(rep),
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                )
            ).all()
        assert waiting  # Telegram keeps it for when the rep opens the chat

        # The links in the fallback mail work like any other.
        browser = Browser(world.bot.url)
        page = await browser.open(card.link("Kontaktiert"))
        assert (await browser.submit(page)).status == 200
        assert (await world.lead(lead_id)).status.value == "contacted"
        await browser.close()


async def test_rep_with_an_open_private_chat_gets_no_email(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    settings = settings_with_email(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(settings, telegram_emulator, partners=1, started=True) as world:
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        await world.driver.press(world.users[0], "claim:", chat_id=world.groups[0])
        await world.private(world.users[0], lambda m: COMPANY in m.plain_text)
        await world.settled()
        assert (await world.lead(lead_id)).owner_rep_id == world.rep_ids[0]
        assert smtp_server.mails == []


async def test_staff_hear_the_card_went_by_email_not_that_it_is_delayed(
    make_settings,
    telegram_emulator: TelegramEmulator,
    smtp_server: SmtpServer,
    clock: ManualClock,
) -> None:
    """The Telegram copy keeps waiting for the rep's /start; when staff hear of it, they
    hear that the rep has the card by e-mail, not that its delivery is delayed."""
    settings = settings_with_staff_chat(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(
        settings, telegram_emulator, partners=1, started=False, clock=clock
    ) as world:
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        rep = world.users[0]
        await world.driver.press(rep, "claim:", chat_id=world.groups[0])
        await smtp_server.wait_for_mail("rep0@p0.example")

        await retry_until_staff_hear(world, clock, rep)
        notice = await staff_alert(world)
        assert f"Lead #{lead_id}: sent by email; the copy on telegram still waits" in notice
        assert "delayed" not in notice


async def test_a_partner_teaser_stuck_on_telegram_is_delayed_though_its_inbox_has_it(
    make_settings,
    telegram_emulator: TelegramEmulator,
    smtp_server: SmtpServer,
    clock: ManualClock,
) -> None:
    """A partner's group and its inbox are different readers: the teaser in the inbox does
    not reach the people in the group, so staff hear that the group's copy is delayed."""
    settings = settings_with_staff_chat(make_settings, telegram_emulator, smtp_server)
    group = group_of(0)
    telegram_emulator.faults.fail(
        "sendMessage", times=10_000, status=502, when=lambda p: str(p.get("chat_id")) == str(group)
    )
    async with telegram_world(
        settings, telegram_emulator, partners=1, clock=clock, inboxes=True
    ) as world:
        lead_id = await world.post_lead()
        await smtp_server.wait_for_mail("leads@p0.example")

        await retry_until_staff_hear(world, clock, group)
        notice = await staff_alert(world)
        assert f"Delivery to telegram is delayed (lead #{lead_id})" in notice
