"""The real python-telegram-bot (v22) Bot works against the Telegram emulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import telegram
from telegram import BotCommand, BotCommandScopeAllPrivateChats, InlineKeyboardButton
from telegram import InlineKeyboardMarkup as Markup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.emulators.fixtures import TELEGRAM_TOKEN
from tests.emulators.telegram import TelegramEmulator

CLAIM = Markup([[InlineKeyboardButton("Übernehmen", callback_data="claim:17")]])


def seconds(value: float | timedelta) -> float:
    """PTB 22 gives retry_after as int seconds, or a timedelta when PTB_TIMEDELTA is set."""
    return value.total_seconds() if isinstance(value, timedelta) else value


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_get_me_is_the_bot_and_a_wrong_token_is_refused(telegram_emulator, telegram_bot):
    me = await telegram_bot.get_me()
    assert me.id == 123456789 and me.is_bot and me.username == "leadbot_test_bot"
    with pytest.raises(InvalidToken):
        async with telegram.Bot("987:WRONG", base_url=telegram_emulator.bot_api_url) as bot:
            await bot.get_me()


async def test_ptb_sends_form_bodies_that_the_emulator_decodes(telegram_emulator, telegram_bot):
    telegram_emulator.start_user(42)
    await telegram_bot.send_message(42, "Hallo", reply_markup=CLAIM)
    call = telegram_emulator.last_call("sendMessage")
    assert call.body_format == "form"
    assert call.params["chat_id"] == 42
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "claim:17"


async def test_a_user_who_never_started_the_bot_cannot_be_messaged(telegram_emulator, telegram_bot):
    driver = telegram_emulator.driver()
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await telegram_bot.send_message(42, "Hallo")
    await driver.start(driver.user(42, "Anna"))
    sent = await telegram_bot.send_message(42, "Hallo Anna")
    assert sent.chat.id == 42 and sent.text == "Hallo Anna"
    driver.block(42)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await telegram_bot.send_message(42, "Noch da?")
    assert [m.text for m in telegram_emulator.bot_messages(42)] == ["Hallo Anna"]


async def test_groups_must_be_known_and_have_the_bot(telegram_emulator, telegram_bot):
    telegram_emulator.add_group(-1001, "Partner A")
    telegram_emulator.add_group(-1002, "Left", bot_member=False)
    await telegram_bot.send_message(-1001, "Neuer Lead", reply_markup=CLAIM)
    assert telegram_emulator.last_message(-1001).button("claim:")["text"] == "Übernehmen"
    with pytest.raises(BadRequest, match="Chat not found"):
        await telegram_bot.send_message(-1009, "x")
    with pytest.raises(Forbidden, match="not a member"):
        await telegram_bot.send_message(-1002, "x")


async def test_html_must_parse_and_the_user_sees_plain_text(telegram_emulator, telegram_bot):
    telegram_emulator.start_user(42)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await telegram_bot.send_message(42, "<b>Müller <GmbH></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await telegram_bot.send_message(42, "<b>unclosed", parse_mode="HTML")
    sent = await telegram_bot.send_message(
        42, "<b>Müller &lt;GmbH&gt;</b> &amp; Söhne", parse_mode="HTML"
    )
    assert sent.text == "Müller <GmbH> & Söhne"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == len("Müller <GmbH>")
    stored = telegram_emulator.last_message(42)
    assert stored.text == "<b>Müller &lt;GmbH&gt;</b> &amp; Söhne"
    assert stored.plain_text == "Müller <GmbH> & Söhne" and stored.parse_mode == "HTML"


async def test_bad_messages_are_refused(telegram_emulator, telegram_bot):
    telegram_emulator.start_user(42)
    with pytest.raises(BadRequest, match="too long"):
        await telegram_bot.send_message(42, "x" * 4097)
    too_much = Markup([[InlineKeyboardButton("x", callback_data="claim:" + "9" * 60)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await telegram_bot.send_message(42, "x", reply_markup=too_much)
    assert telegram_emulator.bot_messages(42) == []


async def test_edits_keep_history_and_identical_edits_are_not_modified(
    telegram_emulator, telegram_bot
):
    telegram_emulator.start_user(42)
    sent = await telegram_bot.send_message(42, "Neuer Lead", reply_markup=CLAIM)
    edited = await telegram_bot.edit_message_text("Vergeben", chat_id=42, message_id=sent.id)
    assert edited.text == "Vergeben" and edited.edit_date is not None
    stored = telegram_emulator.message(42, sent.id)
    assert stored.text == "Vergeben" and stored.buttons() == []  # no markup: keyboard removed
    assert stored.history[0].text == "Neuer Lead" and stored.history[0].reply_markup
    with pytest.raises(BadRequest, match="Message is not modified"):
        await telegram_bot.edit_message_text("Vergeben", chat_id=42, message_id=sent.id)
    await telegram_bot.edit_message_reply_markup(42, sent.id, reply_markup=CLAIM)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await telegram_bot.edit_message_reply_markup(42, sent.id, reply_markup=CLAIM)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await telegram_bot.edit_message_text("x", chat_id=42, message_id=999)
    assert len(telegram_emulator.message(42, sent.id).history) == 2


async def test_callback_queries_are_answered_once(telegram_emulator, telegram_bot):
    driver = telegram_emulator.driver()
    anna = driver.user(42, "Anna")
    await driver.start(anna)
    await telegram_bot.send_message(42, "Neuer Lead", reply_markup=CLAIM)
    pressed = await driver.press(anna, "claim:")
    query_id = pressed.update["callback_query"]["id"]
    assert await telegram_bot.answer_callback_query(query_id, "Schon vergeben", show_alert=True)
    [answer] = telegram_emulator.callback_answers(42)
    assert (answer.text, answer.show_alert, answer.data) == ("Schon vergeben", True, "claim:17")
    with pytest.raises(BadRequest, match="Query is too old"):
        await telegram_bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await telegram_bot.answer_callback_query("made-up")


async def test_commands_are_stored_per_language_and_scope(telegram_emulator, telegram_bot):
    de = [BotCommand("leads", "Offene Leads"), BotCommand("help", "Hilfe")]
    en = [BotCommand("leads", "Open leads"), BotCommand("help", "Help")]
    assert await telegram_bot.set_my_commands(de, language_code="de")
    assert await telegram_bot.set_my_commands(en)
    private = BotCommandScopeAllPrivateChats()
    await telegram_bot.set_my_commands([BotCommand("start", "Start")], scope=private)
    assert [c.description for c in await telegram_bot.get_my_commands(language_code="de")] == [
        "Offene Leads",
        "Hilfe",
    ]
    assert telegram_emulator.commands("")[0]["description"] == "Open leads"
    assert telegram_emulator.commands(scope={"type": "all_private_chats"})[0]["command"] == "start"
    assert await telegram_bot.get_my_commands(language_code="fr") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await telegram_bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_flood_limits_answer_429_with_retry_after():
    clock = ManualClock()
    with TelegramEmulator(token=TELEGRAM_TOKEN, clock=clock, chat_burst=2) as tg:
        tg.start_user(42)
        tg.start_user(43)
        async with telegram.Bot(TELEGRAM_TOKEN, base_url=tg.bot_api_url) as bot:
            await bot.send_message(42, "1")
            await bot.send_message(42, "2")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(42, "3")
            assert seconds(raised.value.retry_after) == 1
            await bot.send_message(43, "another chat has its own bucket")
            clock.now += 1
            await bot.send_message(42, "3")
        assert [m.text for m in tg.bot_messages(42)] == ["1", "2", "3"]
        assert tg.last_call("sendMessage", chat_id=42).ok


async def test_groups_get_twenty_messages_a_minute(telegram_bot, telegram_emulator):
    telegram_emulator.add_group(-1001)
    telegram_emulator.limits.set("per_chat", burst=100)
    for n in range(20):
        await telegram_bot.send_message(-1001, str(n))
    with pytest.raises(RetryAfter) as raised:
        await telegram_bot.send_message(-1001, "21st")
    assert seconds(raised.value.retry_after) == 3  # a token every 3 s


async def test_the_global_limit_spans_all_chats():
    with TelegramEmulator(token=TELEGRAM_TOKEN, global_per_second=3) as tg:
        for user in (1, 2, 3, 4):
            tg.start_user(user)
        async with telegram.Bot(TELEGRAM_TOKEN, base_url=tg.bot_api_url) as bot:
            for user in (1, 2, 3):
                await bot.send_message(user, "hi")
            with pytest.raises(RetryAfter):
                await bot.send_message(4, "hi")
            tg.limits.disable()
            await bot.send_message(4, "limits off")


async def test_injected_faults_map_to_ptb_errors(telegram_emulator, telegram_bot):
    telegram_emulator.start_user(42)
    faults = telegram_emulator.faults
    faults.error("sendMessage", "Forbidden: bot was blocked by the user", status=403)
    faults.fail("sendMessage", status=502)
    faults.rate_limit("sendMessage", retry_after=9)
    faults.error("editMessageText", "Bad Request: message can't be edited")
    with pytest.raises(Forbidden):
        await telegram_bot.send_message(42, "1")
    with pytest.raises(NetworkError):
        await telegram_bot.send_message(42, "2")
    with pytest.raises(RetryAfter) as raised:
        await telegram_bot.send_message(42, "3")
    assert seconds(raised.value.retry_after) == 9
    sent = await telegram_bot.send_message(42, "4")
    with pytest.raises(BadRequest, match="can't be edited"):
        await telegram_bot.edit_message_text("x", chat_id=42, message_id=sent.id)
    assert [m.text for m in telegram_emulator.bot_messages(42)] == ["4"]
    assert [c.fault is not None for c in telegram_emulator.calls("sendMessage")] == [
        True,
        True,
        True,
        False,
    ]


async def test_a_hanging_call_times_ptb_out(telegram_emulator):
    telegram_emulator.start_user(42)
    telegram_emulator.faults.hang("sendMessage", seconds=30)
    request = HTTPXRequest(read_timeout=0.3)
    async with telegram.Bot(
        TELEGRAM_TOKEN, base_url=telegram_emulator.bot_api_url, request=request
    ) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(42, "slow")
        assert (await bot.send_message(42, "fast")).text == "fast"


async def test_get_updates_long_polls_and_confirms_by_offset(telegram_emulator, telegram_bot):
    driver = telegram_emulator.driver()
    poll = asyncio.create_task(telegram_bot.get_updates(timeout=5))
    await telegram_emulator.wait_for_async(
        lambda: telegram_emulator.calls_in_progress("getUpdates")
    )
    first = await driver.send_text(driver.user(42), "hallo")
    [update] = await poll
    assert update.update_id == first.update_id and update.message.text == "hallo"
    assert telegram_emulator.was_fetched(first.update_id)
    second = await driver.send_text(42, "noch was")
    again = await telegram_bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [first.update_id, second.update_id]  # not confirmed
    after = await telegram_bot.get_updates(offset=second.update_id + 1, timeout=0)
    assert after == () and telegram_emulator.pending_updates() == []


async def test_an_empty_long_poll_returns_empty_after_its_timeout(telegram_bot):
    assert await telegram_bot.get_updates(timeout=1) == ()


async def test_a_second_poller_terminates_the_first(telegram_emulator, telegram_bot):
    """Two bot processes polling at once: Telegram ends the older poll with 409."""
    first = asyncio.create_task(telegram_bot.get_updates(timeout=5))
    await telegram_emulator.wait_for_async(lambda: telegram_emulator.calls_in_progress())
    async with telegram.Bot(TELEGRAM_TOKEN, base_url=telegram_emulator.bot_api_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(telegram.error.Conflict, match="terminated by other getUpdates"):
            await first
        assert await second == ()


async def test_webhooks_are_registered_and_block_get_updates(telegram_emulator, telegram_bot):
    assert await telegram_bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    info = await telegram_bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    assert telegram_emulator.webhook.secret_token == "s3cret"
    with pytest.raises(telegram.error.Conflict, match="webhook is active"):
        await telegram_bot.get_updates()
    with pytest.raises(BadRequest, match="unallowed characters"):
        await telegram_bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces")
    assert await telegram_bot.delete_webhook()
    assert (await telegram_bot.get_webhook_info()).url == ""
    assert await telegram_bot.get_updates(timeout=0) == ()


def test_json_bodies_and_unknown_methods(telegram_emulator):
    telegram_emulator.start_user(42)
    url = f"{telegram_emulator.bot_api_url}{TELEGRAM_TOKEN}"
    sent = httpx.post(f"{url}/sendMessage", json={"chat_id": 42, "text": "json"}).json()
    assert sent["ok"] and sent["result"]["text"] == "json"
    assert httpx.post(f"{url}/sendChatAction", json={"chat_id": 42}).json()["result"] is True
    unknown = httpx.post(f"{url}/sendNonsense", json={})
    assert unknown.status_code == 404 and unknown.json()["description"] == "Not Found"


async def test_a_callback_query_answered_too_late_is_too_old():
    clock = ManualClock()
    with TelegramEmulator(token=TELEGRAM_TOKEN, clock=clock) as tg:
        driver = tg.driver()
        await driver.start(42)
        async with telegram.Bot(TELEGRAM_TOKEN, base_url=tg.bot_api_url) as bot:
            await bot.send_message(42, "Neuer Lead", reply_markup=CLAIM)
            pressed = await driver.press(42, "claim:")
            clock.now += 16  # Telegram gives a bot only seconds to answer
            with pytest.raises(BadRequest, match="Query is too old"):
                await bot.answer_callback_query(pressed.update["callback_query"]["id"])
        assert tg.callback_answers() == []
