"""From an update to the module that handles it. Holds no rules; only routing."""

from __future__ import annotations

from telegram import Update

from bot import seen
from bot.handlers.telegram import commands, declines, inputs, onboarding, presses, status
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.updates import AddedToGroup, CommandIn, PressIn, TextIn, parse_update


async def dispatch(tg: TelegramBot, update: Update) -> None:
    incoming = parse_update(update, tg.username)
    if incoming is None:
        return
    if isinstance(incoming, CommandIn | TextIn) and incoming.private:
        # Writing to the bot opens the private chat: from now on it may write back.
        # Idempotent bookkeeping: it does not mark the update seen (bot/seen.py).
        with seen.aside():
            await onboarding.mark_reachable(tg.runtime, incoming.person.user_id)
    if isinstance(incoming, PressIn):
        await presses.handle_press(tg, incoming)
    elif isinstance(incoming, CommandIn):
        await commands.handle_command(tg, incoming)
    elif isinstance(incoming, TextIn):
        pending = await inputs.pending_for(tg.runtime, incoming.person.user_id)
        if pending is not None and pending.kind == inputs.DECLINE_NOTE:
            # Also in the partner's group — there only as a reply to the bot's question:
            # a bot that sees the group's talk (an admin) must not take the asker's next
            # remark to a colleague for the reason.
            if incoming.private or incoming.reply_to_bot:
                await declines.handle_note(tg, incoming, pending)
        elif incoming.private:
            await status.handle_text(tg, incoming)
        elif incoming.reply_to_bot:  # in a group, only a decline's reason is ever asked
            await declines.handle_late_note(tg, incoming)
    elif isinstance(incoming, AddedToGroup):
        await onboarding.announce_chat_id(tg, incoming)
