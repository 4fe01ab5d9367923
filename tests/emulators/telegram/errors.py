"""Telegram API errors, and typing the text values of form-encoded Bot API calls.

python-telegram-bot sends form bodies in which every non-string parameter is JSON text
(``chat_id=42``, ``reply_markup={"inline_keyboard": ...}``); the Bot API decodes them by
parameter, and so does the emulator.
"""

from __future__ import annotations

import json
import re
from typing import Any

INT_FIELDS = {
    "chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "user_id",
    "message_thread_id", "reply_to_message_id", "max_connections",
}  # fmt: skip
BOOL_FIELDS = {
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply",
}  # fmt: skip
JSON_FIELDS = {
    "reply_markup", "commands", "scope", "allowed_updates", "entities",
    "link_preview_options", "reply_parameters",
}  # fmt: skip


class TelegramFailure(Exception):
    """A Bot API error: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(reason: str) -> TelegramFailure:
    return TelegramFailure(400, f"Bad Request: {reason}")


def coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Form values arrive as text (PTB JSON-encodes non-strings); give them their types."""
    out = dict(params)
    for key, value in params.items():
        if not isinstance(value, str):
            continue
        if key in INT_FIELDS and re.fullmatch(r"-?\d+", value.strip()):
            out[key] = int(value)
        elif key in BOOL_FIELDS:
            out[key] = value.strip().lower() in ("true", "1")
        elif key in JSON_FIELDS:
            try:
                out[key] = json.loads(value) if value.strip() else None
            except ValueError as exc:
                raise bad_request(f"can't parse {key} JSON object") from exc
    return out
