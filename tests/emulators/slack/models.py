"""What the Slack emulator stores: messages, ephemerals, views, channels and users.

Tests read these (as copies) to assert what a Slack user would see: the text and buttons of
the last message in a channel, how a teaser was edited, which modal is open.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.slack import blocks as bk


@dataclass
class Channel:
    id: str
    name: str
    members: set[str] | None = None  # None: anyone may be addressed here
    bot_member: bool = True
    im_user: str | None = None  # set for a DM ("D…") channel


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    locale: str = "en-US"
    tz: str = "Europe/Berlin"
    email: str = ""

    def as_api(self, team_id: str, include_locale: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name or self.name,
            "tz": self.tz,
            "is_bot": False,
            "deleted": False,
            "profile": {
                "real_name": self.real_name or self.name,
                "display_name": self.name,
                **({"email": self.email} if self.email else {}),
            },
        }
        if include_locale:
            data["locale"] = self.locale
        return data


@dataclass
class Version:
    """An earlier state of an edited message."""

    text: str
    blocks: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    at: float


class _Readable:
    """Helpers shared by everything that shows text and blocks."""

    text: str
    blocks: list[dict[str, Any]]

    @property
    def all_text(self) -> str:
        """The fallback text and every text in the blocks: what a user could read."""
        return "\n".join(t for t in (self.text, bk.text_of(self.blocks)) if t)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button (``action_id``, ``value``, ``text``, ``block_id``)."""
        return bk.buttons(self.blocks)

    def button(self, action_id: str, value: str | None = None) -> dict[str, Any] | None:
        return next(
            (
                b
                for b in self.buttons()
                if b.get("action_id") == action_id and (value is None or b.get("value") == value)
            ),
            None,
        )

    def menu_options(self, action_id: str) -> list[str]:
        """The option values of every menu (overflow, select) with ``action_id``."""
        return [
            str(option.get("value"))
            for _, element in bk.elements(self.blocks)
            if element.get("action_id") == action_id
            for option in bk.options_of(element)
        ]


@dataclass
class SlackMessage(_Readable):
    """A message in a channel or DM, with its edit history (oldest first)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    bot_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)  # shared with the message
    history: list[Version] = field(default_factory=list)
    deleted: bool = False
    at: float = field(default_factory=time.time)

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def as_api(self, team_id: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "team": team_id,
        }
        if self.bot_id:
            data["bot_id"] = self.bot_id
        if self.blocks:
            data["blocks"] = self.blocks
        if self.attachments:
            data["attachments"] = self.attachments
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.metadata:
            data["metadata"] = self.metadata
        if self.files:
            data["files"] = [{k: v for k, v in f.items() if k != "data"} for f in self.files]
        if self.history:
            data["edited"] = {"user": self.user, "ts": self.ts}
        return data


@dataclass
class Ephemeral(_Readable):
    """A message only ``user`` sees in ``channel`` (chat.postEphemeral or a response_url)."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    via: str  # "chat.postEphemeral" or "response_url"
    at: float = field(default_factory=time.time)


@dataclass
class SlackView(_Readable):
    """A modal or App Home view as the bot last set it."""

    id: str
    user: str
    type: str  # "modal" or "home"
    view: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str | None = None
    errors: dict[str, str] | None = None  # set by a response_action "errors"
    history: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    text: str = ""

    @property
    def blocks(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return list(self.view.get("blocks", []))

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata", ""))

    @property
    def title(self) -> str:
        return str((self.view.get("title") or {}).get("text", ""))

    def as_api(
        self, team_id: str, app_id: str, bot_id: str, state: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": state or {}},
            "hash": self.hash,
            "title": self.view.get("title"),
            "clear_on_close": bool(self.view.get("clear_on_close", False)),
            "notify_on_close": bool(self.view.get("notify_on_close", False)),
            "close": self.view.get("close"),
            "submit": self.view.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": app_id,
            "external_id": self.external_id or "",
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


@dataclass
class Trigger:
    """A ``trigger_id`` handed out with an interaction; single use, expires quickly."""

    id: str
    user: str
    created: float
    used: bool = False


@dataclass
class ResponseTarget:
    """Where a ``response_url`` posts: the channel/user/message of the interaction."""

    token: str
    channel: str | None
    user: str
    message_ts: str | None
    uses: int = 0


@dataclass
class Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    data: bytes | None = None  # what was POSTed to the upload URL
    completed: bool = False
