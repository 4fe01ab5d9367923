"""Answering an inline-button press: once, whatever happens.

Telegram shows a spinner on the button until ``answerCallbackQuery`` arrives (and gives
up after about 15 seconds), so each handler answers as soon as it knows what to say.
"""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.updates import PressIn

log = logging.getLogger(__name__)


class Answer:
    """Answers one callback query once; later calls do nothing."""

    def __init__(self, tg: TelegramBot, press: PressIn) -> None:
        self.tg = tg
        self.press = press
        self.done = False

    async def __call__(
        self, text: str | None = None, *, alert: bool = False, url: str | None = None
    ) -> None:
        if self.done:
            return
        self.done = True
        try:
            await self.tg.bot.answer_callback_query(
                self.press.query_id,
                text=text[:200] if text else None,
                show_alert=alert,
                url=url,
            )
        except TelegramError as exc:  # too old (the user waited > 15 s) or answered elsewhere
            log.info("telegram callback answer failed: %s", exc)
