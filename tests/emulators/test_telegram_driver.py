"""The Telegram driver feeds a real python-telegram-bot Application, by polling or webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.emulators.fixtures import TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.emulators.receiver import Receiver, serve_app
from tests.emulators.telegram import TelegramEmulator


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    code = context.args[0] if context.args else "none"
    claim = InlineKeyboardButton("Übernehmen", callback_data="claim:17")
    await update.effective_message.reply_text(
        f"Willkommen, Code {code}", reply_markup=InlineKeyboardMarkup([[claim]])
    )


async def claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Lead gehört dir", show_alert=True)
    await query.edit_message_text(f"Übernommen ({query.data})")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"Du schriebst: {update.effective_message.text}")


def application(telegram_emulator: TelegramEmulator, *, polling: bool) -> Application:
    builder = ApplicationBuilder().token(TELEGRAM_TOKEN).base_url(telegram_emulator.bot_api_url)
    app = (builder if polling else builder.updater(None)).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(claim, pattern="^claim:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest.fixture
async def polling_bot(telegram_emulator: TelegramEmulator) -> AsyncIterator[Application]:
    """A PTB Application long-polling the emulator, in the test's loop."""
    app = application(telegram_emulator, polling=True)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        yield app
        await app.updater.stop()
        await app.stop()


async def test_start_with_a_deep_link_payload_reaches_the_polling_bot(
    telegram_emulator, polling_bot
):
    driver = telegram_emulator.driver()
    anna = driver.user(42, "Anna", language_code="de")
    delivered = await driver.start(anna, "LINK123")
    assert delivered.via == "polling" and delivered.update["message"]["text"] == "/start LINK123"
    reply = await telegram_emulator.wait_for_async(lambda: telegram_emulator.last_message(42))
    assert reply.text == "Willkommen, Code LINK123"
    assert 42 in telegram_emulator.started_users()
    assert telegram_emulator.was_fetched(delivered.update_id)


async def test_pressing_an_inline_button_is_answered_and_edits_the_message(
    telegram_emulator, polling_bot
):
    driver = telegram_emulator.driver()
    await driver.start(42)
    teaser = await telegram_emulator.wait_for_async(lambda: telegram_emulator.last_message(42))
    pressed = await driver.press(42, "claim:")
    assert pressed.update["callback_query"]["message"]["message_id"] == teaser.message_id
    [answer] = await telegram_emulator.wait_for_async(
        lambda: telegram_emulator.callback_answers(42)
    )
    assert (answer.text, answer.show_alert) == ("Lead gehört dir", True)
    await telegram_emulator.wait_for_async(
        lambda: telegram_emulator.message(42, teaser.message_id).edited
    )
    edited = telegram_emulator.message(42, teaser.message_id)
    assert edited.text == "Übernommen (claim:17)" and edited.buttons() == []


async def test_plain_text_and_update_ids_increase(telegram_emulator, polling_bot):
    driver = telegram_emulator.driver()
    first = await driver.start(42)
    await telegram_emulator.wait_for_async(lambda: telegram_emulator.last_message(42))
    second = await driver.send_text(42, "Termin am Montag")
    assert second.update_id > first.update_id
    await telegram_emulator.wait_for_async(lambda: len(telegram_emulator.bot_messages(42)) == 2)
    assert telegram_emulator.last_message(42).text == "Du schriebst: Termin am Montag"
    texts = [m.text for m in telegram_emulator.messages(42)]
    assert texts == [
        "/start",
        "Willkommen, Code none",
        "Termin am Montag",
        "Du schriebst: Termin am Montag",
    ]


async def test_group_commands_and_missing_buttons(telegram_emulator):
    telegram_emulator.add_group(-1001, "Partner A")
    driver = telegram_emulator.driver()
    sent = await driver.command(42, "leads", chat_id=-1001, mention_bot=True)
    message = sent.update["message"]
    assert message["chat"]["type"] == "supergroup"
    assert message["text"] == "/leads@leadbot_test_bot"
    assert message["entities"][0] == {"type": "bot_command", "offset": 0, "length": 23}
    with pytest.raises(LookupError, match="claim:"):
        await driver.press(42, "claim:", chat_id=-1001)
    with pytest.raises(LookupError, match="add_group"):
        await driver.send_text(42, "x", chat_id=-1999)


async def test_webhook_delivery_carries_the_registered_secret(telegram_emulator, telegram_bot):
    receiver = Receiver()
    async with receiver.serve() as url:
        await telegram_bot.set_webhook(url, secret_token=TELEGRAM_WEBHOOK_SECRET)
        driver = telegram_emulator.driver()
        first = await driver.send_text(driver.user(42), "hallo")
        again = await driver.resend(first)
        wrong = await driver.send_text(42, "hallo", secret_token="wrong-secret")
        bare = await telegram_emulator.driver(secret_token=None).send_text(42, "ohne")
    assert first.via == "webhook" and first.status == 200 and first.ok
    headers = [r.headers.get("X-Telegram-Bot-Api-Secret-Token") for r in receiver.received]
    assert headers == [TELEGRAM_WEBHOOK_SECRET, TELEGRAM_WEBHOOK_SECRET, "wrong-secret", None]
    bodies = [r.json() for r in receiver.received]
    assert bodies[0] == bodies[1] == first.update == again.update
    assert wrong.update_id > first.update_id and bare.update_id > wrong.update_id
    assert telegram_emulator.pending_updates() == []


async def test_a_ptb_webhook_app_refuses_a_wrong_secret(telegram_emulator):
    """PTB inside another web app (as in its custom-webhook example) checks the secret."""
    app = application(telegram_emulator, polling=False)
    seen: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != TELEGRAM_WEBHOOK_SECRET:
            return web.Response(status=403)
        update = Update.de_json(await request.json(), app.bot)
        if update.update_id in seen:  # Telegram retries: handle each update once
            return web.Response()
        seen.append(update.update_id)
        await app.process_update(update)
        return web.Response()

    web_app = web.Application()
    web_app.router.add_post("/telegram/webhook", webhook)
    async with app, serve_app(web_app, "/telegram/webhook") as url:
        await app.bot.set_webhook(url, secret_token=TELEGRAM_WEBHOOK_SECRET)
        driver = telegram_emulator.driver()
        refused = await driver.start(42, secret_token="wrong-secret")
        accepted = await driver.start(42, "CODE")
        duplicate = await driver.resend(accepted)
    assert (refused.status, accepted.status, duplicate.status) == (403, 200, 200)
    assert [m.text for m in telegram_emulator.bot_messages(42)] == ["Willkommen, Code CODE"]


async def test_polling_delivery_can_be_forced_and_resent(telegram_emulator, telegram_bot):
    driver = telegram_emulator.driver()
    first = await driver.send_text(42, "eins")
    await driver.resend(first)
    updates = await telegram_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first.update_id, first.update_id]
    assert isinstance(updates[0], telegram.Update)
