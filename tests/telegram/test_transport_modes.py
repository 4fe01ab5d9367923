"""How updates reach the bot: the webhook's secret, de-duplication, long polling, start-up."""

from __future__ import annotations

import uuid

import httpx
import pytest

from bot.config import ConfigError
from bot.models import LeadStatus
from bot.runtime import Runtime
from bot.web.parts import platform_parts
from tests.support.telegram_world import telegram_settings, telegram_world


async def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(
    make_settings, telegram_emulator
):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead_id = await world.post_lead()
        teaser = await world.teaser(world.groups[0])
        user, data = world.users[0], teaser.button("claim:")["callback_data"]
        wrong = await world.driver.press_button(user, teaser, data, secret_token="wrong-secret")
        bare = await world.driver.press_button(user, teaser, data, secret_token=None)
        assert (wrong.status, bare.status) == (403, 403)
        assert world.tg.callback_answers() == []
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED
        async with httpx.AsyncClient() as http:
            garbage = await http.post(
                f"{world.bot.url}/telegram/webhook",
                content=b"[1, 2",
                headers={"X-Telegram-Bot-Api-Secret-Token": world.tg.webhook.secret_token},
            )
        assert garbage.status_code == 400
        right = await world.driver.press_button(user, teaser, data)
        assert right.status == 200
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


@pytest.mark.parametrize("coordination", ["local", "redis"])
async def test_a_repeated_update_is_processed_once(make_settings, telegram_emulator, coordination):
    redis = (
        {"redis": {"url": "redis://127.0.0.1:6379/0", "key_prefix": f"t-{uuid.uuid4().hex}:"}}
        if coordination == "redis"
        else {}
    )
    settings = telegram_settings(make_settings, telegram_emulator, **redis)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        user = world.users[0]
        first = await world.driver.command(user, "help")
        await world.private(user, lambda m: "/leads" in m.plain_text)
        again = await world.driver.resend(first)
        later = await world.driver.command(user, "leads")
        await world.private(user, lambda m: m.message_id > 1)
        assert (first.status, again.status, later.status) == (200, 200, 200)
        replies = world.tg.bot_messages(user)
        assert len(replies) == 2  # /help once, /leads once — not /help twice


async def test_long_polling_receives_updates_and_confirms_them(make_settings, telegram_emulator):
    settings = telegram_settings(
        make_settings, telegram_emulator, telegram={"mode": "polling", "webhook_secret": None}
    )
    async with telegram_world(settings, telegram_emulator, partners=1, webhook=False) as world:
        assert world.tg.webhook is None and world.tg.calls("deleteWebhook")
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        pressed = await world.driver.press(world.users[0], "claim:", chat_id=world.groups[0])
        assert pressed.via == "polling"
        await world.private(world.users[0], lambda m: "Brauerei Huber GmbH" in m.plain_text)
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        assert world.tg.was_fetched(pressed.update_id)
        async with httpx.AsyncClient() as http:  # no webhook route in polling mode
            answer = await http.post(f"{world.bot.url}/telegram/webhook", content=b"{}")
        assert answer.status_code == 404
    assert world.tg.pending_updates() == []  # confirmed at the latest on shutdown


async def test_the_command_list_is_registered_in_german_and_english(
    make_settings, telegram_emulator
):
    telegram_emulator.add_group(-4242, "Staff")
    telegram_emulator.start_user(7777)  # a staff member who has a private chat with the bot
    settings = telegram_settings(
        make_settings,
        telegram_emulator,
        telegram={"staff_chat_id": -4242},
        staff={"telegram_users": [7777, 8888]},  # 8888 never wrote to the bot
    )
    async with telegram_world(settings, telegram_emulator, partners=1):
        german = telegram_emulator.commands("de")
        english = telegram_emulator.commands("en")
        default = telegram_emulator.commands("")
        staff = telegram_emulator.commands("", scope={"type": "chat", "chat_id": -4242})
        private = telegram_emulator.commands("", scope={"type": "chat", "chat_id": 7777})
    names = ["leads", "lead", "help", "start"]
    assert [c["command"] for c in german] == [c["command"] for c in english] == names
    assert default == german
    assert german[0]["description"] == "Offene Leads" and english[0]["description"] == "Open leads"
    assert {"explain", "recall", "erase"} <= {c["command"] for c in staff}
    # /cockpit sends a sign-in link: offered in a staff member's private chat, not the group
    # (where it only points to the private chat).
    assert "cockpit" not in {c["command"] for c in staff}
    assert {"explain", "recall", "cockpit"} <= {c["command"] for c in private}


@pytest.mark.parametrize(
    ("telegram", "variable"),
    [
        ({"token": None}, "LEADBOT_TELEGRAM__TOKEN"),
        ({"webhook_secret": None}, "LEADBOT_TELEGRAM__WEBHOOK_SECRET"),
        ({"webhook_secret": "has spaces"}, "LEADBOT_TELEGRAM__WEBHOOK_SECRET"),
    ],
)
async def test_missing_secrets_fail_at_start_naming_the_variable(
    make_settings, telegram_emulator, telegram, variable
):
    settings = telegram_settings(make_settings, telegram_emulator, telegram=telegram)
    runtime = Runtime.create(settings)
    try:
        with pytest.raises(ConfigError, match=variable):
            platform_parts(runtime)
    finally:
        await runtime.close()


async def test_a_refused_token_stops_the_start(make_settings, telegram_emulator):
    settings = telegram_settings(
        make_settings, telegram_emulator, telegram={"token": "999:WRONG-token"}
    )
    runtime = Runtime.create(settings)
    try:
        parts = platform_parts(runtime)
        telegram_context = parts.contexts[-1]
        with pytest.raises(ConfigError, match="LEADBOT_TELEGRAM__TOKEN") as failure:
            async with telegram_context():
                pass
        assert "WRONG" not in str(failure.value)  # the token itself is never shown
    finally:
        await runtime.close()


async def test_a_bot_api_that_answers_nonsense_stops_the_start_with_a_message(make_settings):
    """``[telegram] api_url`` pointing at something that is not the Bot API: a clear
    message naming the setting, not a raw TypeError from deep inside the client."""
    from aiohttp import web

    async def nonsense(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"hello": "world"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", nonsense)
    server = web.AppRunner(app)
    await server.setup()
    site = web.TCPSite(server, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settings = make_settings(
        telegram={
            "enabled": True,
            "api_url": f"http://127.0.0.1:{port}/bot",
            "token": "123:abc",
            "mode": "polling",
        },
        console={"enabled": False},
    )
    runtime = Runtime.create(settings)
    try:
        parts = platform_parts(runtime)
        with pytest.raises(ConfigError, match=r"did not answer like the Telegram Bot API"):
            async with parts.contexts[-1]():
                pass
    finally:
        await runtime.close()
        await server.cleanup()
