"""What Telegram adds to ``leadbot serve``: the bot, its outbox transport, and either the
webhook route or the long-polling job (``[telegram] mode``). Named as the platform's
``server_module`` in :mod:`bot.handlers.telegram.platform`."""

from __future__ import annotations

from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.dispatch import dispatch
from bot.handlers.telegram.menu import register_commands
from bot.handlers.telegram.polling import poll_forever
from bot.handlers.telegram.setup import check_settings
from bot.handlers.telegram.transport import TelegramTransport
from bot.handlers.telegram.webhook import webhook_router
from bot.models import Platform
from bot.runtime import Runtime
from bot.supervisor import named
from bot.web.parts import PlatformParts


def contribute(runtime: Runtime, parts: PlatformParts) -> None:
    """Add Telegram's transport, webhook route or polling job and start-up to ``parts``."""
    settings = runtime.settings.telegram
    if not settings.enabled:
        return
    check_settings(settings)
    tg = TelegramBot(runtime, dispatch, register_commands)
    parts.transports[Platform.TELEGRAM] = TelegramTransport(tg)
    parts.contexts.append(tg.running)
    if settings.mode == "polling":
        parts.background.append(named("telegram-polling", lambda: poll_forever(tg)))
    else:
        parts.routers.append(webhook_router(tg))
