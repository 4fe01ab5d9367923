"""The command list Telegram shows (``setMyCommands``) and the help text behind ``/help``."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.chat.grammar import VERBS
from bot.chat.identity import Identity
from bot.chat.permissions import verbs_for
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.platform import escape_telegram
from bot.i18n import LANGUAGES, t

log = logging.getLogger(__name__)

PUBLIC = ("leads", "lead", "help", "start")
STAFF = ("explain", "release", "reoffer", "recall", "erase")
PRIVATE_STAFF = ("cockpit",)
"""Staff commands for their private chat only: ``/cockpit`` sends a sign-in link, which a
group must not see (in a group it points to the private chat instead)."""


def help_text(who: Identity) -> str:
    """Every command this person may use, as ``/verb <args>`` lines, from the grammar."""
    language = who.language
    usage = {verb.name: verb.usage_in(language) for verb in VERBS}
    lines = [
        f"/{escape_telegram(usage[name])} — {escape_telegram(t(language, f'verb.{name}'))}"
        for name in verbs_for(who)
    ]
    if who.is_rep or not who.is_staff:
        lines.append("")
        lines.append(escape_telegram(t(language, "telegram.help_claim")))
    return "\n".join(lines)


def command_list(language: str, *, staff: bool = False, private: bool = False) -> list[BotCommand]:
    names = PUBLIC + (STAFF if staff else ()) + (PRIVATE_STAFF if staff and private else ())
    return [BotCommand(name, t(language, f"telegram.command.{name}")) for name in names]


async def register_commands(tg: TelegramBot) -> None:
    """Tell Telegram the command list: default (German), German and English; the staff
    chat gets the staff commands too, and each staff member's private chat those and
    ``/cockpit``. Failures are logged; commands work regardless."""
    staff_language = tg.runtime.settings.staff.language
    try:
        await tg.bot.set_my_commands(command_list("de"))
        for language in LANGUAGES:
            await tg.bot.set_my_commands(command_list(language), language_code=language)
        if tg.settings.staff_chat_id:
            await tg.bot.set_my_commands(
                command_list(staff_language, staff=True),
                scope=BotCommandScopeChat(tg.settings.staff_chat_id),
            )
    except TelegramError as exc:
        log.warning("telegram: registering the command list failed: %s", exc)
        return
    for user_id in tg.runtime.settings.staff.telegram_users:
        try:
            await tg.bot.set_my_commands(
                command_list(staff_language, staff=True, private=True),
                scope=BotCommandScopeChat(user_id),
            )
        except TelegramError as exc:  # no private chat with the bot yet: the default list
            log.info("telegram: no staff command list for user %s yet: %s", user_id, exc)
