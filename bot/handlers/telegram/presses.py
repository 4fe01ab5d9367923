"""Inline-button presses: every press is answered, exactly once, whatever happens.

Telegram shows a spinner on the button until ``answerCallbackQuery`` arrives (and gives
up after about 15 seconds), so each handler answers as soon as it knows what to say, and
this module answers for it if it did not — also when it failed.

A press that does something (a report, a claim, "Not for us") ends an open question
(:mod:`~bot.handlers.telegram.inputs`), as a command does: the rep has moved on, and what
they type next is no answer to it — a note typed after "Lost, price" and then "Contacted"
closed the lead as lost. Skip answers the question; reading (the sales kit's pages,
opening a card from a list) leaves it open.
"""

from __future__ import annotations

import logging

from bot.handlers.telegram import claims, commands, declines, inputs, kit_press, status
from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.updates import PressIn
from bot.i18n import t

log = logging.getLogger(__name__)

KEEP_QUESTION = frozenset({kb.SKIP, kb.KIT, kb.OPEN})
"""Presses that leave an open question open (see the module's docstring)."""


async def handle_press(tg: TelegramBot, press: PressIn) -> None:
    answer = Answer(tg, press)
    try:
        found = kb.parse_callback(press.data)
        if found is not None and found.kind not in KEEP_QUESTION:
            await inputs.clear(tg.runtime, press.person.user_id)
        if found is None:
            language = press.person.language or tg.runtime.settings.staff.language
            await answer(t(language, "telegram.not_understood"), alert=True)
        elif found.kind == kb.CLAIM:
            await claims.handle_claim(tg, press, found.id, answer)
        elif found.kind in (kb.DECLINE, kb.DECLINE_REASON, kb.TEASER_BACK):
            await declines.handle_press(tg, press, found, answer)
        elif found.kind == kb.KIT:
            await kit_press.handle_press(tg, press, found, answer)
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
