"""Telegram's flood limits as token buckets, and small helpers about Telegram's errors.

Telegram allows a bot about 30 messages per second in all, about one per second in one
chat and 20 per minute in one group (docs/telegram.md §7). The buckets are shared by the
outbox sender and the direct replies to button presses (``TelegramBot.pace``), through
``runtime.coordination``: in Redis when configured, so several processes share them.
"""

from __future__ import annotations

import logging
import traceback

from telegram.error import TelegramError

from bot.config import TelegramSettings
from bot.delivery.transports import RateLimit


def flood_limits(settings: TelegramSettings, chat_id: str) -> list[RateLimit]:
    """The token buckets one message to ``chat_id`` takes from (Telegram's flood limits)."""
    limits = [
        RateLimit(
            "telegram:global",
            settings.global_per_second,
            max(1, int(settings.global_per_second)),
            shared=True,
        ),
        RateLimit(f"telegram:chat:{chat_id}", settings.chat_per_second, settings.chat_burst),
    ]
    if chat_id.startswith("-"):
        limits.append(
            RateLimit(
                f"telegram:group:{chat_id}", settings.group_per_minute / 60, settings.group_burst
            )
        )
    return limits


def seconds(value: object) -> float:
    """PTB gives ``retry_after`` as int seconds or (with PTB_TIMEDELTA) a timedelta."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def log_failure(log: logging.Logger, what: str, error: BaseException | None) -> None:
    """Log a failure by type and stack, never by message: database errors quote the
    statement's parameters (personal data), Telegram's are harmless and shown."""
    if error is None:
        log.error("%s failed", what)
    elif isinstance(error, TelegramError):
        log.error("%s failed: %s: %s", what, type(error).__name__, error)
    else:
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("%s failed: %s\n%s", what, type(error).__name__, frames)
