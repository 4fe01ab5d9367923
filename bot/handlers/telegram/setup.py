"""What the Telegram bot needs before it runs: its settings checked (the secrets a mode
needs, named by their variables), the PTB ``Application`` built against ``[telegram]
api_url``, and the bot's @username for a process that does not serve (``leadbot invite``).
"""

from __future__ import annotations

import re

from telegram.ext import Application, ApplicationBuilder

from bot.config import ConfigError, TelegramSettings
from bot.handlers.telegram.answered import AnsweredRequest

SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""What Telegram accepts as a webhook's secret token."""


def check_settings(settings: TelegramSettings) -> None:
    """Refuse to start without the secrets this mode needs, naming the variables."""
    token = settings.token.get_secret_value() if settings.token else ""
    if not token.strip():
        raise ConfigError(
            "Telegram is enabled ([telegram] enabled = true) but has no bot token: "
            "set LEADBOT_TELEGRAM__TOKEN (from BotFather)"
        )
    if settings.mode == "webhook":
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        if not secret:
            raise ConfigError(
                "Telegram runs in webhook mode but has no webhook secret: set "
                "LEADBOT_TELEGRAM__WEBHOOK_SECRET (1-256 characters A-Z a-z 0-9 _ -), "
                'or use [telegram] mode = "polling"'
            )
        if not SECRET.fullmatch(secret):
            raise ConfigError(
                "LEADBOT_TELEGRAM__WEBHOOK_SECRET may only contain A-Z a-z 0-9 _ - "
                "(1-256 characters), as Telegram requires"
            )


def build_application(settings: TelegramSettings) -> Application:
    """PTB's Application against ``[telegram] api_url``, without PTB's own Updater."""
    assert settings.token is not None
    return (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_url)
        .request(AnsweredRequest())
        .updater(None)
        .build()
    )


async def bot_username(settings: TelegramSettings) -> str:
    """The bot's @username from Telegram (``getMe``), for deep links outside the server."""
    from telegram import Bot

    assert settings.token is not None
    async with Bot(settings.token.get_secret_value(), base_url=settings.api_url) as bot:
        return str(bot.username)
