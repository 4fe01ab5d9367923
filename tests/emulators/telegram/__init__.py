"""Telegram emulator: the Bot API over HTTP, and a driver playing Telegram's users.

    with TelegramEmulator(token="123456:TEST") as tg:
        bot = telegram.Bot("123456:TEST", base_url=tg.bot_api_url)
        driver = tg.driver()          # delivers to the bot's webhook, or to getUpdates

See docs/testing-emulators.md.
"""

from tests.emulators.telegram.driver import Delivered, TelegramDriver
from tests.emulators.telegram.models import CallbackAnswer, TgChat, TgMessage, TgUser, Webhook
from tests.emulators.telegram.server import TelegramEmulator

__all__ = [
    "CallbackAnswer",
    "Delivered",
    "TelegramDriver",
    "TelegramEmulator",
    "TgChat",
    "TgMessage",
    "TgUser",
    "Webhook",
]
