"""Commands: ``/start``, ``/leads``, ``/lead <id>``, ``/help``; staff ``/explain``,
``/release``, ``/reoffer``, ``/recall``, ``/erase``. And the list Telegram shows for them.

Lead details never go to a group: in a partner group ``/leads`` and ``/lead`` answer with
a button to the private chat. Staff commands work in a private chat and in the staff chat
(``[telegram] staff_chat_id``), for users listed in ``[staff] telegram_users`` only.
Erasing asks for a confirmation tap first: on a phone a slip is easy and erasure is final.
"""

from __future__ import annotations

import logging

from bot.chat.interactions import Identity, Reply, confirms_consent
from bot.delivery.notices import MessageRef
from bot.handlers.telegram import inputs
from bot.handlers.telegram import keyboards as kb
from bot.handlers.telegram.answer import Answer
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.menu import STAFF, help_text
from bot.handlers.telegram.onboarding import handle_start, to_private
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.telegram.render import render, render_card, reply_html, reply_plain, split_html
from bot.handlers.telegram.updates import CommandIn, PressIn
from bot.i18n import t
from bot.reports.pipeline import pipeline

log = logging.getLogger(__name__)

PIPELINE_LIMIT = 30
EXPLAIN_LIMIT = 15


def _lead_id(cmd: CommandIn) -> int | None:
    if not cmd.args:
        return None
    value = cmd.args[0].lstrip("#")
    return int(value) if value.isdigit() and len(value) <= 18 else None


async def handle_command(tg: TelegramBot, cmd: CommandIn) -> None:
    await inputs.clear(tg.runtime, cmd.person.user_id)  # a command ends any open question
    if cmd.name == "start":
        await handle_start(tg, cmd)
        return
    who = await tg.identify(cmd.person)
    language = who.language
    if cmd.name == "help":
        await tg.send(cmd.chat_id, help_text(who))
    elif cmd.name in ("leads", "lead") and not cmd.private and not _staff_chat(tg, cmd):
        await to_private(tg, cmd.chat_id, language)
    elif cmd.name == "leads":
        await _leads(tg, who, cmd)
    elif cmd.name == "lead":
        lead_id = _lead_id(cmd)
        if lead_id is None:
            await _usage(tg, cmd, language, "/lead 17")
        else:
            await send_card(tg, who, cmd.chat_id, lead_id)
    elif cmd.name in STAFF:
        await _staff(tg, who, cmd)
    elif cmd.name == "cancel":
        await tg.send(cmd.chat_id, escape_telegram(t(language, "telegram.cancelled")))
    elif cmd.private:
        text = t(language, "telegram.unknown_command", command=f"/{cmd.name}")
        await tg.send(cmd.chat_id, escape_telegram(text))


def _staff_chat(tg: TelegramBot, cmd: CommandIn) -> bool:
    return bool(tg.settings.staff_chat_id) and cmd.chat_id == tg.settings.staff_chat_id


async def _usage(tg: TelegramBot, cmd: CommandIn, language: str, example: str) -> None:
    text = t(language, "telegram.usage", command=f"/{cmd.name}", example=example)
    await tg.send(cmd.chat_id, "⚠️ " + escape_telegram(text))


async def _leads(tg: TelegramBot, who: Identity, cmd: CommandIn) -> None:
    language = who.language
    if not who.known:
        await tg.send(cmd.chat_id, escape_telegram(t(language, "telegram.not_linked")))
        return
    leads = await tg.interactions.my_leads(who)
    if who.is_staff and (who.rep_id is None or _staff_chat(tg, cmd)):
        async with tg.runtime.uow() as uow:
            report = await pipeline(uow)
        text = render(
            "pipeline.j2",
            report=report,
            leads=leads,
            lang=language,
            limit=PIPELINE_LIMIT,
        )
        for part in split_html([text]):
            await tg.send(cmd.chat_id, part)
        return
    text = render("leads.j2", leads=leads, lang=language)
    buttons = kb.leads_keyboard(((lead.id, lead.company or "–") for lead in leads[:20]), language)
    await tg.send(cmd.chat_id, text, buttons)


async def send_card(tg: TelegramBot, who: Identity, chat_id: int, lead_id: int) -> None:
    """The full card, with buttons for its owner (then the card the outbox keeps current)."""
    card = await tg.interactions.lead_card(who, lead_id)
    if isinstance(card, Reply):
        await tg.send(chat_id, reply_html(card, who.language))
        return
    message = render_card(card)
    sent = await tg.send(chat_id, message.text, message.keyboard)
    if sent is not None and card.actions:
        await tg.interactions.card_shown(
            who, lead_id, MessageRef(str(chat_id), str(sent.message_id))
        )


async def _staff(tg: TelegramBot, who: Identity, cmd: CommandIn) -> None:
    language = who.language
    if not who.is_staff:
        await tg.send(cmd.chat_id, "⚠️ " + escape_telegram(t(language, "reply.staff_only")))
        return
    if not cmd.private and not _staff_chat(tg, cmd):
        await tg.send(cmd.chat_id, "⚠️ " + escape_telegram(t(language, "telegram.staff_where")))
        return
    lead_id = _lead_id(cmd)
    if lead_id is None:
        extra = {"explain": " [P1]", "release": " [consent]"}.get(cmd.name, "")
        await _usage(tg, cmd, language, f"/{cmd.name} 17{extra}")
        return
    if cmd.name == "explain":
        await _explain(tg, who, cmd, lead_id, cmd.args[1] if len(cmd.args) > 1 else None)
    elif cmd.name == "erase":
        text = t(language, "telegram.erase_confirm", lead_id=lead_id)
        await tg.send(
            cmd.chat_id, "⚠️ " + escape_telegram(text), kb.erase_keyboard(lead_id, language)
        )
    else:
        consent = confirms_consent(cmd.args[1:])
        reply = await tg.interactions.staff_action(who, cmd.name, lead_id, consent=consent)
        await tg.send(cmd.chat_id, reply_html(reply, language))


async def _explain(
    tg: TelegramBot, who: Identity, cmd: CommandIn, lead_id: int, partner_id: str | None
) -> None:
    lines = await tg.interactions.explanation(who, lead_id, partner_id, limit=EXPLAIN_LIMIT)
    if isinstance(lines, Reply):
        await tg.send(cmd.chat_id, reply_html(lines, who.language))
        return
    # Monospace keeps the columns; each message is one <pre> block of whole lines.
    chunks = split_html([escape_telegram("\n".join(lines))], limit=3900)
    for chunk in chunks:
        await tg.send(cmd.chat_id, f"<pre>{chunk}</pre>")


async def handle_press(tg: TelegramBot, press: PressIn, cb: kb.Callback, answer: Answer) -> None:
    """Buttons that belong to commands: open a card (from /leads), confirm an erasure."""
    who = await tg.identify(press.person)
    chat_id = press.chat_id if press.chat_id is not None else press.person.user_id
    if cb.kind == kb.OPEN:
        await answer()
        await send_card(tg, who, chat_id, cb.id)
        return
    if not who.is_staff:
        await answer(t(who.language, "reply.staff_only"), alert=True)
        return
    if press.message_id is not None and press.chat_id is not None:
        await tg.edit_keyboard(press.chat_id, press.message_id, ())  # asked and answered
    if cb.kind == kb.CANCEL:
        await answer(t(who.language, "telegram.cancelled"))
        return
    reply = await tg.interactions.staff_action(who, "erase", cb.id)
    await answer(reply_plain(reply, who.language), alert=not reply.ok)
    if reply.ok:
        await tg.send(chat_id, reply_html(reply, who.language))
