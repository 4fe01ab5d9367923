"""Telegram as a platform: chat ids for partner groups, the staff chat and private chats.

A partner's teasers go to its group (``telegram_chat_id``, negative); a rep's direct
messages to their private chat, whose id is their user id; the staff feed to ``[telegram]
staff_chat_id``. A rep is reached privately only after they wrote to the bot (Telegram
refuses earlier messages), which ``reps.telegram_started_at`` records. Text is Telegram
HTML. Accounts are linked by invitation code (``/start <code>``).
"""

from __future__ import annotations

import html
import re

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from bot.chat.ids import fits_int64
from bot.config import Settings
from bot.models import Partner, Platform, Rep
from bot.plaintext import strip_control

_CHAT_ID = re.compile(r"-?[0-9]{1,19}")


def escape_telegram(value: str) -> str:
    """Telegram HTML parse mode."""
    return html.escape(strip_control(value), quote=False)


def _chat_id(value: str) -> int | None:
    """A Telegram user or chat id written as text, if it is one a 64-bit column holds."""
    text = value.strip()
    if _CHAT_ID.fullmatch(text) is None:  # ASCII digits: str.isdigit() also takes "²"
        return None
    number = int(text)
    return number if fits_int64(number) else None


class TelegramPlatform:
    platform = Platform.TELEGRAM
    fallback = False
    server_module = "bot.handlers.telegram.app"

    def enabled(self, settings: Settings) -> bool:
        return settings.telegram.enabled

    def partner_address(self, partner: Partner) -> str | None:
        return str(partner.telegram_chat_id) if partner.telegram_chat_id else None

    def rep_address(self, rep: Rep) -> str | None:
        return str(rep.telegram_user_id) if rep.telegram_user_id else None

    def reaches(self, rep: Rep) -> bool:
        return bool(rep.telegram_user_id) and rep.telegram_started_at is not None

    def staff_address(self, settings: Settings) -> str | None:
        chat = settings.telegram.staff_chat_id
        return str(chat) if chat else None

    def rep_at(self, address: str) -> ColumnElement[bool] | None:
        chat = _chat_id(address)
        return Rep.telegram_user_id == chat if chat is not None else None

    def user(self, user_id: str) -> ColumnElement[bool] | None:
        return self.rep_at(user_id)

    def is_staff(self, user_id: str, settings: Settings) -> bool:
        chat = _chat_id(user_id)
        return chat is not None and chat in settings.staff.telegram_users

    def account(self, user_id: str) -> tuple[InstrumentedAttribute[object], object] | None:
        chat = _chat_id(user_id)
        if chat is None:
            raise ValueError(f"not a Telegram user id: {user_id!r}")
        return Rep.telegram_user_id, chat

    def escape(self, text: str) -> str:
        return escape_telegram(text)


TELEGRAM = TelegramPlatform()
