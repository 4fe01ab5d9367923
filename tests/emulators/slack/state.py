"""The Slack workspace the emulator pretends to be, and the rules of its Web API methods.

Methods raise :class:`SlackFailure` with Slack's error code (``channel_not_found``,
``message_not_found``, ...) and change nothing when they do. The caller holds the lock.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from typing import Any

from tests.emulators.slack import blocks as bk
from tests.emulators.slack import rules
from tests.emulators.slack.errors import SlackFailure, as_bool, as_json
from tests.emulators.slack.models import (
    Channel,
    Ephemeral,
    ResponseTarget,
    SlackMessage,
    SlackView,
    Trigger,
    Upload,
    User,
    Version,
)
from tests.emulators.slack.views import ViewsMixin

MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_UPLOAD = 1024 * 1024 * 1024


class SlackState(ViewsMixin):
    """Channels, users, messages and views of one emulated workspace."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        trigger_ttl: float = 3.0,
    ) -> None:
        self.clock = clock
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = (
            team_id,
            bot_user_id,
            bot_id,
            app_id,
        )
        self.trigger_ttl = trigger_ttl
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.scopes: set[str] = {"chat:write", "im:write", "commands", "users:read.email"}
        """What the bot token may do; a test removes one to see a ``missing_scope``."""
        self.messages: dict[str, list[SlackMessage]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, SlackView] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.responses: dict[str, ResponseTarget] = {}
        self.uploads: dict[str, Upload] = {}
        self.upload_base = ""  # the emulator's address, set when it starts
        self._last_ts = 0
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------- ids

    def next_ts(self) -> str:
        """A unique, increasing Slack timestamp (``"1700000000.000123"``)."""
        self._last_ts = max(int(time.time() * 1_000_000), self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):09d}"

    # ----------------------------------------------------------------- directory

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel
        self.messages.setdefault(channel.id, [])

    def dm_channel(self, user_id: str) -> str:
        """The DM channel between the bot and a user (created on first use)."""
        for channel in self.channels.values():
            if channel.im_user == user_id:
                return channel.id
        channel_id = "D" + user_id[1:] if user_id[:1] in ("U", "W") else "D" + user_id
        self.add_channel(Channel(channel_id, channel_id, {user_id}, True, im_user=user_id))
        return channel_id

    def require_user(self, user_id: Any) -> User:
        user = self.users.get(str(user_id or ""))
        if user is None:
            raise SlackFailure("user_not_found")
        return user

    def resolve_channel(self, ref: Any) -> Channel:
        """A channel by id, ``#name``, or user id (the DM with that user), as Slack allows."""
        ref = str(ref or "").strip()
        if not ref:
            raise SlackFailure("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users:
            return self.channels[self.dm_channel(ref)]
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise SlackFailure("channel_not_found")

    # ----------------------------------------------------------------- messages

    def _content(self, params: dict[str, Any], require: bool = True) -> dict[str, Any]:
        text = params.get("text")
        blocks = as_json(params.get("blocks"), "blocks")
        attachments = as_json(params.get("attachments"), "attachments")
        if blocks is not None:
            refused = rules.check_blocks(blocks, MAX_BLOCKS)
            if refused is not None:
                raise SlackFailure("invalid_blocks", detail=refused)
            blocks = bk.normalize(copy.deepcopy(blocks))
        if attachments is not None and not isinstance(attachments, list):
            raise SlackFailure("invalid_attachments")
        if require and not (text or blocks or attachments):
            raise SlackFailure("no_text")
        if text is not None and len(str(text)) > MAX_TEXT:
            raise SlackFailure("msg_too_long")
        return {"text": text, "blocks": blocks, "attachments": attachments}

    def post(self, params: dict[str, Any]) -> SlackMessage:
        channel = self.resolve_channel(params.get("channel"))
        if not channel.bot_member:
            raise SlackFailure("not_in_channel")
        content = self._content(params)
        message = SlackMessage(
            channel=channel.id,
            ts=self.next_ts(),
            text=str(content["text"] or ""),
            blocks=content["blocks"] or [],
            attachments=content["attachments"] or [],
            user=self.bot_user_id,
            bot_id=self.bot_id,
            thread_ts=params.get("thread_ts") or None,
            metadata=_metadata(params.get("metadata")),
        )
        self.messages[channel.id].append(message)
        return message

    def history(self, params: dict[str, Any]) -> dict[str, Any]:
        """``conversations.history``: the channel's messages, newest first, in pages.

        ``oldest``/``latest`` bound the timestamps (exclusive unless ``inclusive``), the
        cursor is the position of the next page. Message metadata is included only with
        ``include_all_metadata``, as on Slack.
        """
        channel = self.resolve_channel(params.get("channel"))
        if not channel.bot_member:
            raise SlackFailure("not_in_channel")
        try:
            limit = int(params.get("limit") or 100)
            start = int(str(params.get("cursor") or "0").removeprefix("pos:"))
        except ValueError:
            raise SlackFailure("invalid_arguments", detail="limit and cursor are numbers") from None
        limit = max(1, min(limit, 999))
        inclusive = as_bool(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")

        def within(ts: str) -> bool:
            value = float(ts)
            if oldest and (value < float(oldest) or (value == float(oldest) and not inclusive)):
                return False
            return not (
                latest and (value > float(latest) or (value == float(latest) and not inclusive))
            )

        found = [m for m in reversed(self.messages.get(channel.id, [])) if not m.deleted]
        found = [m for m in found if within(m.ts)]
        page = found[start : start + limit]
        with_metadata = as_bool(params.get("include_all_metadata"))
        messages = []
        for message in page:
            data = message.as_api(self.team_id)
            if not with_metadata:
                data.pop("metadata", None)
            messages.append(data)
        more = start + limit < len(found)
        return {
            "messages": messages,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": f"pos:{start + limit}" if more else ""},
        }

    def add_user_message(self, channel_id: str, user: str, text: str) -> SlackMessage:
        """A message a user typed (the driver's side), kept so history looks complete."""
        message = SlackMessage(channel_id, self.next_ts(), text, [], user)
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def find(self, channel_id: str, ts: Any) -> SlackMessage:
        for message in self.messages.get(channel_id, []):
            if message.ts == str(ts) and not message.deleted:
                return message
        raise SlackFailure("message_not_found")

    def update(self, params: dict[str, Any]) -> SlackMessage:
        channel = self.resolve_channel(params.get("channel"))
        message = self.find(channel.id, params.get("ts"))
        if message.user != self.bot_user_id:
            raise SlackFailure("cant_update_message")
        content = self._content(params, require=False)
        self.replace(message, content)
        return message

    def replace(self, message: SlackMessage, content: dict[str, Any]) -> None:
        """Edit a message, keeping the old version; absent fields keep their old value."""
        message.history.append(
            Version(message.text, message.blocks, message.attachments, time.time())
        )
        if content.get("text") is not None:
            message.text = str(content["text"])
        if content.get("blocks") is not None:
            message.blocks = content["blocks"]
        if content.get("attachments") is not None:
            message.attachments = content["attachments"]

    def delete(self, params: dict[str, Any]) -> SlackMessage:
        channel = self.resolve_channel(params.get("channel"))
        message = self.find(channel.id, params.get("ts"))
        if message.user != self.bot_user_id:
            raise SlackFailure("cant_delete_message")
        message.deleted = True
        return message

    def post_ephemeral(self, params: dict[str, Any], via: str = "chat.postEphemeral") -> Ephemeral:
        channel = self.resolve_channel(params.get("channel"))
        user = self.require_user(params.get("user"))
        if channel.members is not None and user.id not in channel.members:
            raise SlackFailure("user_not_in_channel")
        if not channel.bot_member:
            raise SlackFailure("not_in_channel")
        content = self._content(params)
        ephemeral = Ephemeral(
            channel.id,
            user.id,
            self.next_ts(),
            str(content["text"] or ""),
            content["blocks"] or [],
            via,
        )
        self.ephemerals.append(ephemeral)
        return ephemeral

    # ----------------------------------------------------------------- files (upload v2)

    def new_upload(self, params: dict[str, Any]) -> Upload:
        filename = str(params.get("filename") or "")
        length = params.get("length")
        if not filename:
            raise SlackFailure("invalid_arguments", detail="filename is required")
        if length is None or not str(length).isdigit() or int(length) <= 0:
            raise SlackFailure("invalid_arguments", detail="length must be a positive integer")
        if int(length) > MAX_UPLOAD:
            raise SlackFailure("file_too_large")
        upload = Upload(self._id("F"), filename, int(length))
        self.uploads[upload.id] = upload
        return upload

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        """The POST to an upload URL; False for an unknown id."""
        upload = self.uploads.get(file_id)
        if upload is None or upload.completed:
            return False
        upload.data = data
        return True

    def complete_uploads(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        files = as_json(params.get("files"), "files")
        if not isinstance(files, list) or not files:
            raise SlackFailure("invalid_arguments", detail="files must be a JSON list")
        found: list[Upload] = []
        for entry in files:
            upload = self.uploads.get(str((entry or {}).get("id", "")))
            if upload is None or upload.data is None:
                raise SlackFailure("file_not_found")
            if len(upload.data) != upload.length:
                raise SlackFailure("file_upload_size_mismatch")
            found.append(upload)
        described = [
            {
                "id": u.id,
                "name": u.filename,
                "title": str(entry.get("title") or u.filename),
                "size": u.length,
                "data": u.data,
            }
            for u, entry in zip(found, files, strict=True)
        ]
        channel_id = params.get("channel_id") or params.get("channels")
        if channel_id:
            channel = self.resolve_channel(channel_id)
            if not channel.bot_member:
                raise SlackFailure("not_in_channel")
            comment = str(params.get("initial_comment") or "")
            message = SlackMessage(
                channel=channel.id,
                ts=self.next_ts(),
                text=comment,
                blocks=[],
                user=self.bot_user_id,
                bot_id=self.bot_id,
                files=described,
            )
            self.messages[channel.id].append(message)
        for upload in found:
            upload.completed = True
        return [{k: v for k, v in f.items() if k != "data"} for f in described]


def _metadata(value: Any) -> dict[str, Any] | None:
    """Message metadata as Slack checks it: an ``event_type`` name and an object payload."""
    metadata = as_json(value, "metadata")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not metadata["event_type"]
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackFailure("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}
