"""Paging through a sales kit: ``kit:<outbox row>:<page>`` edits the kit's message.

At every press the kit is read again (:func:`bot.delivery.content_views.reopen_content`):
only the rep it was sent to, only while they own the lead, only items unchanged and still
valid. So a page never shows an offer that expired since, and a forged or stale button
shows nothing but an explanation.
"""

from __future__ import annotations

from bot.delivery.content_views import reopen_content
from bot.delivery.notices import MessageView
from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram import sales_kit
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.updates import PressIn
from bot.i18n import t


async def _kit(tg: TelegramBot, ref: int, rep_id: int) -> MessageView | None:
    async with tg.runtime.uow() as uow:
        return await reopen_content(uow.session, uow.settings, ref, rep_id, uow.clock.now())


async def handle_press(tg: TelegramBot, press: PressIn, cb: kb.Callback, answer: Answer) -> None:
    who = await tg.identify(press.person)
    if who.rep_id is None:
        await answer(t(who.language, "reply.unknown_user"), alert=True)
        return
    view = await _kit(tg, cb.id, who.rep_id)
    if view is None or press.chat_id is None or press.message_id is None:
        await answer(t(who.language, "kit.gone"), alert=True)
        return
    number = int(cb.value or 0)
    shown = sales_kit.page(view, number) if number > 0 else sales_kit.summary(view)
    await answer()
    await tg.edit_text(press.chat_id, press.message_id, shown.text, shown.keyboard)
