"""The cockpit sign-in link from the staff chat: ``cockpit`` in the console, ``/leads
cockpit`` in Slack, ``/cockpit`` in Telegram. Staff get a working one-time link; a rep who
asks is refused and gets no link."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.handlers.console.session import ConsoleSession
from bot.models import CockpitLogin
from bot.runtime import Runtime
from tests.support.botserver import running_bot
from tests.support.factories import add_partner, add_rep
from tests.support.slack_world import STAFF_USER, PartnerSpec, slack_settings, slack_world
from tests.support.telegram_world import telegram_settings, telegram_world

SECRET = "a-test-secret-of-some-length"
LINK = re.compile(r"https?://[^\s<>]+/cockpit/login\?token=[\w-]+")
TELEGRAM_STAFF = 9_001


async def signs_in(bot_url: str, link: str) -> bool:
    """The link opens the cockpit once (POST the token, follow to the overview)."""
    token = link.rsplit("token=", 1)[1]
    async with httpx.AsyncClient(base_url=bot_url) as http:
        signed = await http.post("/cockpit/login", data={"token": token})
        page = await http.get("/cockpit")
    return signed.status_code == 303 and page.status_code == 200


async def test_console_staff_get_a_link_reps_do_not(make_settings: Any) -> None:
    settings = make_settings(cockpit={"secret": SECRET})
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_rep(uow, "P1", "anna@p1.example")
        await uow.commit()
    lines: list[str] = []
    session = ConsoleSession(runtime, out=lines.append)
    await session.handle_line("cockpit")
    staff_answer = "\n".join(lines)
    lines.clear()
    await session.handle_line("as anna@p1.example")
    await session.handle_line("cockpit")
    rep_answer = "\n".join(lines)
    await runtime.close()

    link = LINK.search(staff_answer)
    assert link is not None, staff_answer
    assert LINK.search(rep_answer) is None and "✖" in rep_answer
    async with running_bot(settings) as bot:
        assert await signs_in(bot.url, link.group(0))
        assert not await signs_in(bot.url, link.group(0))  # once only


async def test_slack_staff_get_a_link_reps_do_not(make_settings: Any, slack_emulator: Any) -> None:
    settings = slack_settings(make_settings, slack_emulator, cockpit={"secret": SECRET})
    partners = [PartnerSpec("P1", "C0001", "U0001", language="en")]
    async with slack_world(settings, slack_emulator, partners) as world:
        for user in (STAFF_USER, "U0001"):
            await world.driver.slash_command("/leads", "cockpit", user=user)
        staff = await slack_emulator.wait_for_async(
            lambda: slack_emulator.ephemerals(user=STAFF_USER)
        )
        rep = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals(user="U0001"))
        link = LINK.search(staff[0].all_text.replace("&amp;", "&"))
        assert link is not None, staff[0].all_text
        assert LINK.search(rep[0].all_text) is None
        assert "Only the manufacturer's staff" in rep[0].all_text
        assert await signs_in(world.bot.url, link.group(0))


async def test_telegram_staff_get_a_link_reps_do_not(
    make_settings: Any, telegram_emulator: Any
) -> None:
    settings = telegram_settings(
        make_settings,
        telegram_emulator,
        staff={"telegram_users": [TELEGRAM_STAFF], "language": "en"},
        cockpit={"secret": SECRET},
    )
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        boss = world.driver.user(TELEGRAM_STAFF, "Stefanie", language_code="en")
        await world.driver.command(boss, "cockpit")
        answer = await world.private(TELEGRAM_STAFF, lambda m: "cockpit" in m.plain_text)
        await world.driver.command(world.users[0], "cockpit")
        refused = await world.private(world.users[0], lambda m: "⚠" in m.plain_text)
        link = LINK.search(answer.plain_text)
        assert link is not None, answer.plain_text
        assert LINK.search(refused.plain_text) is None
        assert await signs_in(world.bot.url, link.group(0))


async def test_telegram_sends_no_link_into_a_group(
    make_settings: Any, telegram_emulator: Any
) -> None:
    """A sign-in link is a credential: in the staff chat (whose members leadbot does not
    choose: not everyone there need be in ``[staff] telegram_users``) or a partner's group
    everyone could redeem it. ``/cockpit`` there points to the private chat and makes no
    link; in the private chat it works as before."""
    staff_chat = -4242
    telegram_emulator.add_group(staff_chat, "Staff")
    settings = telegram_settings(
        make_settings,
        telegram_emulator,
        telegram={"staff_chat_id": staff_chat},
        staff={"telegram_users": [TELEGRAM_STAFF], "language": "en"},
        cockpit={"secret": SECRET},
    )
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        boss = world.driver.user(TELEGRAM_STAFF, "Stefanie", language_code="en")
        for group in (staff_chat, world.groups[0]):
            await world.driver.command(boss, "cockpit", chat_id=group, mention_bot=True)
            answer = await world.tg.wait_for_async(
                lambda group=group: next(
                    (m for m in world.tg.bot_messages(group) if "private chat" in m.plain_text),
                    None,
                )
            )
            assert "/cockpit" in answer.plain_text
            assert all(LINK.search(m.plain_text) is None for m in world.tg.bot_messages(group))
        async with world.bot.runtime.uow() as uow:
            made = await uow.session.scalar(select(func.count()).select_from(CockpitLogin))
        assert made == 0
        await world.driver.command(boss, "cockpit")
        private = await world.private(
            TELEGRAM_STAFF, lambda m: LINK.search(m.plain_text) is not None
        )
        link = LINK.search(private.plain_text)
        assert link is not None and await signs_in(world.bot.url, link.group(0))
