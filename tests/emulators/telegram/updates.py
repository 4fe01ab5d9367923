"""Callback answers, command lists, the webhook and the getUpdates queue of the emulator.

These are the parts of the Bot API about *how* updates reach the bot and how it answers
them outside of messages: one answer per callback query, commands per language and scope,
a webhook that excludes polling, and ``getUpdates`` offsets that confirm updates.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from tests.emulators.telegram.errors import bad_request
from tests.emulators.telegram.models import CallbackAnswer, PendingQuery, Webhook

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
DEFAULT_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class UpdatesMixin:
    """The update-side half of :class:`~tests.emulators.telegram.state.TelegramState`."""

    clock: Callable[[], float]
    callback_ttl: float
    queries: dict[str, PendingQuery]
    answers: list[CallbackAnswer]
    commands: dict[tuple[str, str], list[dict[str, Any]]]
    webhook: Webhook | None
    updates: list[dict[str, Any]]
    fetched: set[int]
    allowed_updates: list[str] | None

    # ----------------------------------------------------------------- callbacks, commands

    def answer(self, params: dict[str, Any]) -> CallbackAnswer:
        query = self.queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answered or self.clock() - query.created > self.callback_ttl:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        answer = CallbackAnswer(
            query.id,
            query.user_id,
            query.data,
            text,
            bool(params.get("show_alert", False)),
            params.get("url"),
            params.get("cache_time"),
        )
        self.answers.append(answer)
        return answer

    def set_commands(self, params: dict[str, Any]) -> None:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND.match(str(command.get("command"))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be 1-256 characters")
        scope = params.get("scope") or {}
        if scope.get("type") == "chat" and scope.get("chat_id") not in self.chats:
            raise bad_request("chat not found")  # Telegram knows no chat with this user yet
        self.commands[commands_key(params)] = copy.deepcopy(commands)

    def get_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(commands_key(params), []))

    # ----------------------------------------------------------------- updates, webhook

    def set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return True
        secret = params.get("secret_token")
        if secret is not None and not SECRET.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self.webhook = Webhook(
            url, secret, params.get("allowed_updates"), int(params.get("max_connections") or 40)
        )
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    def pending(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """getUpdates: confirm everything below ``offset``, return what is left."""
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self.updates = self.updates[offset:]
        elif isinstance(offset, int):
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"])
        limit = params.get("limit")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        found = [u for u in self.updates if _wanted(u, self.allowed_updates)][:limit]
        self.fetched.update(u["update_id"] for u in found)
        return copy.deepcopy(found)


def commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _wanted(update: dict[str, Any], allowed: list[str] | None) -> bool:
    kinds = set(update) - {"update_id"}
    if allowed:
        return bool(kinds & set(allowed))
    return not kinds & DEFAULT_EXCLUDED
