"""The chat platforms leadbot knows. Adding one = a package under ``bot/handlers/`` that
implements :class:`bot.platform.ChatPlatform`, and one line in :data:`PLATFORMS`.

Only the light part of each platform is imported here (addressing, identity, escaping);
its server part (SDK clients, webhooks, the outbox transport) is named by
``server_module`` and loaded by ``leadbot serve`` for the enabled platforms only.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Settings
from bot.handlers.console.platform import CONSOLE
from bot.handlers.email.platform import EMAIL
from bot.handlers.slack.platform import SLACK
from bot.handlers.telegram.platform import TELEGRAM
from bot.models import Platform
from bot.platform import ChatPlatform

PLATFORMS: tuple[ChatPlatform, ...] = (CONSOLE, SLACK, TELEGRAM, EMAIL)


def get(platform: Platform) -> ChatPlatform:
    for candidate in PLATFORMS:
        if candidate.platform is platform:
            return candidate
    raise LookupError(f"no chat platform {platform.value!r} is registered")


def enabled(settings: Settings) -> Mapping[Platform, ChatPlatform]:
    """The platforms that receive notices with these settings."""
    return {p.platform: p for p in PLATFORMS if p.enabled(settings)}
