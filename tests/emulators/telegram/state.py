"""The bot's view of Telegram, and the rules of the Bot API methods the emulator serves.

Methods raise :class:`TelegramFailure` with Telegram's status and description (e.g. 403
``Forbidden: bot can't initiate conversation with a user``) and change nothing when they
do. The caller holds the lock.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from tests.emulators.telegram import html as tg_html
from tests.emulators.telegram.errors import TelegramFailure, bad_request
from tests.emulators.telegram.models import (
    CallbackAnswer,
    PendingQuery,
    TgChat,
    TgMessage,
    TgUser,
    TgVersion,
    Webhook,
)
from tests.emulators.telegram.updates import UpdatesMixin

MAX_TEXT = 4096
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class TelegramState(UpdatesMixin):
    """Users, chats and messages as the bot's Bot API sees them."""

    def __init__(self, *, bot: TgUser, clock: Callable[[], float], callback_ttl: float) -> None:
        self.bot = bot
        self.clock = clock
        self.callback_ttl = callback_ttl
        self.users: dict[int, TgUser] = {}
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.chats: dict[int, TgChat] = {}
        self.messages: dict[int, list[TgMessage]] = {}
        self.queries: dict[str, PendingQuery] = {}
        self.answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: Webhook | None = None
        self.updates: list[dict[str, Any]] = []  # queued for getUpdates, oldest first
        self.fetched: set[int] = set()  # update ids getUpdates has returned at least once
        self.allowed_updates: list[str] | None = None
        self._next_message_id: dict[int, int] = {}

    # ----------------------------------------------------------------- directory

    def private_chat(self, user: TgUser) -> TgChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = TgChat(user.id, "private", username=user.username, first_name=user.first_name)
            self.chats[user.id] = chat
            self.messages[user.id] = []
        return chat

    def target(self, chat_id: Any) -> TgChat:
        """The chat a bot message goes to, or the error Telegram gives for it."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == chat_id[1:]), None)
            if chat is None or chat.type == "private":
                raise bad_request("chat not found")
            chat_id = chat.id
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        if chat_id > 0:
            if chat_id in self.blocked:
                raise TelegramFailure(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started:
                raise TelegramFailure(403, "Forbidden: bot can't initiate conversation with a user")
            return self.chats[chat_id]
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if not chat.bot_member:
            raise TelegramFailure(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    # ----------------------------------------------------------------- messages

    def _rendered(self, params: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
        text = params.get("text")
        if text is None or not str(text).strip():
            raise bad_request("message text is empty")
        text = str(text)
        mode = params.get("parse_mode") or None
        if mode is None:
            plain, entities = text, list(params.get("entities") or [])
        elif str(mode).lower() == "html":
            try:
                plain, entities = tg_html.parse(text)
            except tg_html.ParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from exc
        elif mode in ("MarkdownV2", "Markdown"):
            plain, entities = text, []  # stored as sent; not validated
        else:
            raise bad_request(f"unsupported parse_mode {mode!r}")
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT:
            raise bad_request("message is too long")
        return text, plain, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return copy.deepcopy(markup)  # reply keyboards etc.: stored, not checked
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for button in (b for row in rows for b in row):
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _new_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def send(self, params: dict[str, Any]) -> TgMessage:
        chat = self.target(params.get("chat_id"))
        text, plain, entities = self._rendered(params)
        markup = self._markup(params)
        skip = {"chat_id", "text", "parse_mode", "entities", "reply_markup"}
        message = TgMessage(
            chat=chat,
            message_id=self._new_id(chat.id),
            sender=self.bot,
            date=int(time.time()),
            text=text,
            plain_text=plain,
            parse_mode=params.get("parse_mode") or None,
            entities=entities,
            reply_markup=markup,
            params={k: v for k, v in params.items() if k not in skip},
        )
        self.messages.setdefault(chat.id, []).append(message)
        return message

    def send_photo(self, params: dict[str, Any]) -> TgMessage:
        """sendPhoto with an uploaded file: kept as a message whose text is the caption and
        whose ``photo`` holds the file (name, type, size, bytes)."""
        photo = params.get("photo")
        if not isinstance(photo, dict) or not photo.get("size"):
            raise bad_request("there is no photo in the request")
        if photo["size"] > MAX_PHOTO_BYTES:
            raise bad_request("file is too big")
        caption = str(params.get("caption") or "")
        if len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        rest = {k: v for k, v in params.items() if k not in ("caption", "photo")}
        if caption.strip():
            message = self.send({**rest, "text": caption})
        else:
            message = self.send({**rest, "text": "\u200b", "parse_mode": None})
            message.text = message.plain_text = ""
        message.photo = dict(photo)
        return message

    def add_user_message(self, chat: TgChat, user: TgUser, text: str, entities: list) -> TgMessage:
        """A message a user sent (the driver's side), so history looks complete."""
        message = TgMessage(
            chat, self._new_id(chat.id), user, int(time.time()), text, text, None, entities
        )
        self.messages.setdefault(chat.id, []).append(message)
        return message

    def find(self, params: dict[str, Any], action: str = "edit") -> TgMessage:
        if params.get("inline_message_id"):
            raise bad_request(f"message to {action} not found")
        chat = self.target(params.get("chat_id"))
        for message in self.messages.get(chat.id, []):
            if message.message_id == params.get("message_id") and not message.deleted:
                if action == "edit" and not message.from_bot:
                    raise bad_request("message can't be edited")
                return message
        raise bad_request(f"message to {action} not found")

    def edit(self, params: dict[str, Any], *, text_too: bool) -> TgMessage:
        """editMessageText (``text_too``) or editMessageReplyMarkup.

        As in Telegram, leaving out ``reply_markup`` removes the inline keyboard.
        """
        message = self.find(params)
        markup = self._markup(params)
        if text_too:
            text, plain, entities = self._rendered(params)
            mode = params.get("parse_mode") or None
        else:
            text, plain, entities, mode = (
                message.text,
                message.plain_text,
                message.entities,
                message.parse_mode,
            )
        if (plain, entities, _keyboard(markup)) == (
            message.plain_text,
            message.entities,
            _keyboard(message.reply_markup),
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.history.append(
            TgVersion(message.text, message.parse_mode, message.reply_markup, time.time())
        )
        message.text, message.plain_text, message.entities, message.parse_mode = (
            text,
            plain,
            entities,
            mode,
        )
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return message

    def delete(self, params: dict[str, Any]) -> None:
        self.find(params, action="delete").deleted = True


def _keyboard(markup: dict[str, Any] | None) -> Any:
    return (markup or {}).get("inline_keyboard") or None
