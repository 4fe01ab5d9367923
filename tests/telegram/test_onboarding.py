"""Deep-link onboarding: ``leadbot reps invite`` and ``/start <code>``; the 403 path."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from bot.clock import ManualClock
from bot.directory.linking import create_invite
from bot.models import LeadStatus, Rep
from bot.runtime import Runtime
from tests.emulators.fixtures import TELEGRAM_TOKEN
from tests.support.cli import leadbot
from tests.support.factories import add_partner, add_rep
from tests.support.telegram_world import World, telegram_settings, telegram_world

NEW_USER = 8_801
OTHER_USER = 8_802


async def _rep(world: World, email: str) -> Rep:
    async with world.runtime.uow() as uow:
        rep = await uow.session.scalar(select(Rep).where(Rep.email == email))
        assert rep is not None
        return rep


async def _answer(world: World, user: int, after: int = 0) -> str:
    message = await world.private(user, lambda m: m.message_id > after)
    return message.plain_text


async def test_invite_links_a_rep_once_and_refuses_reuse_expiry_and_unknown_codes(
    make_settings, telegram_emulator, database_url
):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        async with world.runtime.uow() as uow:
            await add_rep(uow, "P0", "neu@p0.example", name="Nora Neu", language="en")
            await add_rep(uow, "P0", "zweit@p0.example", name="Zoe Zweit")
            await uow.commit()
        env = {
            "LEADBOT_TELEGRAM__API_URL": telegram_emulator.bot_api_url,
            "LEADBOT_TELEGRAM__TOKEN": TELEGRAM_TOKEN,
        }
        result = await asyncio.to_thread(
            leadbot, database_url, "reps", "invite", "Neu@P0.example", **env
        )
        assert result.exit_code == 0, result.output
        link = re.search(r"https://t\.me/leadbot_test_bot\?start=([A-Za-z0-9_-]+)", result.output)
        assert link is not None and "Nora Neu" in result.output
        code = link.group(1)

        driver = world.driver
        await driver.start(driver.user(NEW_USER, "Nora", language_code="en"), code)
        welcome = await _answer(world, NEW_USER)
        assert "linked to Partner 0" in welcome
        rep = await _rep(world, "neu@p0.example")
        assert rep.telegram_user_id == NEW_USER and rep.telegram_started_at is not None

        # The same code again, by someone else: refused, nothing changes.
        await driver.start(driver.user(OTHER_USER, "Otto"), code)
        assert "bereits verwendet" in await _answer(world, OTHER_USER)
        # A code nobody made.
        seen = world.tg.last_message(OTHER_USER).message_id
        await driver.start(OTHER_USER, "NichtVorhanden-123")
        assert "ungültig" in await _answer(world, OTHER_USER, seen)
        # An expired code (made long ago).
        past = Runtime.create(world.runtime.settings, clock=ManualClock())
        try:
            async with past.uow() as uow:
                old = await create_invite(uow, "zweit@p0.example", hours=1)
        finally:
            await past.close()
        seen = world.tg.last_message(OTHER_USER).message_id
        await driver.start(OTHER_USER, old.code)
        assert "abgelaufen" in await _answer(world, OTHER_USER, seen)
        # A Telegram account that is already another rep's cannot take this invite.
        async with world.runtime.uow() as uow:
            fresh = await create_invite(uow, "zweit@p0.example", hours=1)
        rep0 = world.users[0]
        await driver.start(rep0, fresh.code)
        refusal = await world.private(rep0, lambda m: "anderen" in m.plain_text)
        assert "einer anderen Person im Vertrieb" in refusal.plain_text
        assert (await _rep(world, "zweit@p0.example")).telegram_user_id is None
        assert (await _rep(world, "rep0@p0.example")).telegram_user_id == rep0
        async with world.runtime.uow() as uow:
            linked = (
                await uow.session.scalars(
                    select(Rep.email).where(Rep.telegram_user_id == OTHER_USER)
                )
            ).all()
        assert linked == []


def test_invite_for_an_unknown_rep_fails_clearly(database_url):
    result = leadbot(database_url, "reps", "invite", "nobody@example.com")
    assert result.exit_code == 1
    assert "no rep with e-mail 'nobody@example.com'" in result.output


async def test_a_claimer_who_never_started_the_bot_gets_the_details_after_start(
    make_settings, telegram_emulator
):
    """Telegram answers 403 until the rep opens the chat; the claim stands regardless."""
    settings = telegram_settings(make_settings, telegram_emulator)
    clock = ManualClock()  # retries are never due by themselves: only /start sends the card
    async with telegram_world(
        settings, telegram_emulator, partners=2, started=False, clock=clock
    ) as world:
        tg, driver = world.tg, world.driver
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        user = world.users[0]
        await driver.press(user, "claim:", chat_id=world.groups[0])
        [answer] = tg.callback_answers(user)
        assert answer.url == f"https://t.me/leadbot_test_bot?start=lead_{lead_id}"
        assert f"#{lead_id}" in (answer.text or "")
        refused = await tg.wait_for_call_async("sendMessage", chat_id=user)
        assert refused[0].status == 403
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        assert tg.bot_messages(user) == []

        await driver.start(user, f"lead_{lead_id}")
        welcome = await world.private(user, lambda m: "Hallo Rep 0" in m.plain_text)
        assert "wartende Nachricht" in welcome.plain_text
        card = await world.private(user, lambda m: "Brauerei Huber GmbH" in m.plain_text)
        assert card.button(f"st:{lead_id}:contacted") is not None
        pack = await world.private(user, lambda m: "Verkaufsunterlagen" in m.plain_text)
        assert pack.message_id > card.message_id  # in the order they were queued
        rep = await _rep(world, "rep0@p0.example")
        assert rep.telegram_started_at is not None


async def test_invite_link_from_the_configured_username_or_the_code_alone(runtime, database_url):
    async with runtime.uow() as uow:
        await add_partner(uow, "P9", name="Neun GmbH")
        await add_rep(uow, "P9", "ina@neun.example", name="Ina")
        await uow.commit()
    named = await asyncio.to_thread(
        leadbot,
        database_url,
        "reps",
        "invite",
        "ina@neun.example",
        "--hours",
        "5",
        LEADBOT_TELEGRAM__BOT_USERNAME="@acme_leads_bot",
    )
    assert named.exit_code == 0, named.output
    assert re.search(
        r"Link:  https://t\.me/acme_leads_bot\?start=[A-Za-z0-9_-]{22}\n", named.output
    )
    bare = await asyncio.to_thread(leadbot, database_url, "reps", "invite", "ina@neun.example")
    assert bare.exit_code == 0, bare.output
    code = re.search(r"Code:  (\S+)", bare.output).group(1)
    assert "set [telegram] bot_username" in bare.output
    assert f"/start {code}" in bare.output
