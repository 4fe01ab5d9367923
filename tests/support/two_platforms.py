"""Settings for one bot serving Slack and Telegram at once, against both emulators.

The end-to-end tests that need both platforms (the cross-platform race, the e-mail race,
the CRM webhooks) start from here: emulator limits relaxed so the test measures the bot,
the outbox polling fast, one wave to everyone.
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from tests.emulators.fixtures import (
    SLACK_SIGNING_SECRET,
    SLACK_TOKEN,
    TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
)
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.slack_world import PRODUCTS


def both_platforms(
    make_settings: Any,
    slack: SlackEmulator,
    tg: TelegramEmulator,
    *,
    api_token: str,
    **sections: Any,
) -> Settings:
    """Slack and Telegram enabled, the console off; ``sections`` add or replace sections."""
    slack.limits.disable()
    tg.limits.set("per_chat", per_second=50, burst=50)
    base: dict[str, Any] = {
        "slack": {
            "enabled": True,
            "api_url": slack.api_url,
            "bot_token": SLACK_TOKEN,
            "signing_secret": SLACK_SIGNING_SECRET,
            "per_channel_per_second": 100.0,
            "burst": 100,
        },
        "telegram": {
            "enabled": True,
            "api_url": tg.bot_api_url,
            "token": TELEGRAM_TOKEN,
            "webhook_secret": TELEGRAM_WEBHOOK_SECRET,
            "webhook_url": "https://leadbot.example/telegram/webhook",
            "chat_per_second": 50.0,
            "chat_burst": 50,
        },
        "console": {"enabled": False},
        "server": {"api_token": api_token},
        "outbox": {"poll_seconds": 0.1, "max_backoff_seconds": 30},
        "distribution": {"waves": [{"size": 0, "minutes": 60}]},
        "products": PRODUCTS,
    }
    return make_settings(**{**base, **sections})
