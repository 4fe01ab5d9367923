"""Inline-button presses: every press is answered, exactly once, whatever happens.

Telegram shows a spinner on the button until ``answerCallbackQuery`` arrives (and gives
up after about 15 seconds), so each handler answers as soon as it knows what to say, and
this module answers for it if it did not — also when it failed.
"""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram.app import TelegramBot
from bot.handlers.telegram.updates import PressIn
from bot.i18n import t

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


async def handle_press(tg: TelegramBot, press: PressIn) -> None:
    from bot.handlers.telegram import claims, commands, status

    answer = Answer(tg, press)
    try:
        found = kb.parse_callback(press.data)
        if found is None:
            language = press.person.language or tg.runtime.settings.staff.language
            await answer(t(language, "telegram.not_understood"), alert=True)
        elif found.kind == kb.CLAIM:
            await claims.handle_claim(tg, press, found.id, answer)
        elif found.kind in (kb.OPEN, kb.ERASE, kb.CANCEL):
            await commands.handle_press(tg, press, found, answer)
        else:
            await status.handle_press(tg, press, found, answer)
    except Exception:
        if not answer.done:  # failed before answering: stop the spinner, say so
            language = press.person.language or tg.runtime.settings.staff.language
            await answer(t(language, "telegram.failed"), alert=True)
        raise
    await answer()  # nothing to say (a no-op if the handler answered)
