"""What the Telegram emulator stores: users, chats, messages, callback answers, webhook.

Tests read these (as copies) to assert what a Telegram user would see: the text and
inline buttons of the last message in a chat, how it was edited, the alert they got.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TgUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class TgChat:
    id: int
    type: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    bot_member: bool = True

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class TgVersion:
    """An earlier state of an edited message."""

    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    at: float


@dataclass
class TgMessage:
    """A message in a chat. ``text`` is what was sent (with HTML markup, if any);
    ``plain_text`` is what the user reads."""

    chat: TgChat
    message_id: int
    sender: TgUser
    date: int
    text: str
    plain_text: str
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)  # everything else that was sent
    photo: dict[str, Any] | None = None  # sendPhoto: filename, content_type, size, data
    history: list[TgVersion] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    at: float = field(default_factory=time.time)

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def button(self, data_prefix: str = "") -> dict[str, Any] | None:
        """The first inline button whose ``callback_data`` starts with ``data_prefix``."""
        return next(
            (
                b
                for b in self.buttons()
                if str(b.get("callback_data", "")).startswith(data_prefix) and "callback_data" in b
            ),
            None,
        )

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.as_api(),
            "chat": self.chat.as_api(),
            "date": self.date,
            "text": self.plain_text,
        }
        if self.entities:
            data["entities"] = self.entities
        if self.reply_markup and self.reply_markup.get("inline_keyboard"):
            data["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.photo is not None:
            data.pop("text")
            if self.plain_text:
                data["caption"] = self.plain_text
            size = int(self.photo.get("size", 0))
            data["photo"] = [
                {"file_id": f"photo-{self.message_id}", "file_unique_id": f"u{self.message_id}",
                 "width": 800, "height": 400, "file_size": size}
            ]  # fmt: skip
        return data


@dataclass
class CallbackAnswer:
    """What the bot answered to a button press (the toast or alert the user sees)."""

    callback_query_id: str
    user_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    at: float = field(default_factory=time.time)


@dataclass
class PendingQuery:
    id: str
    user_id: int
    data: str
    created: float
    answered: bool = False


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40
