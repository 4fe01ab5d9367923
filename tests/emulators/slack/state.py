"""The Slack workspace the emulator pretends to be, and the rules of its Web API methods.

Methods raise :class:`SlackFailure` with Slack's error code (``channel_not_found``,
``message_not_found``, ...) and change nothing when they do. The caller holds the lock.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.emulators.slack import blocks as bk
from tests.emulators.slack.models import (
    Channel,
    Ephemeral,
    ResponseTarget,
    SlackMessage,
    SlackView,
    Trigger,
    User,
    Version,
)

MAX_TEXT = 40_000
MAX_BLOCKS = 50


class SlackFailure(Exception):
    """A Slack API error: answered as ``{"ok": false, "error": code}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def as_json(value: Any, name: str) -> Any:
    """Form bodies carry ``blocks``/``view``/... as JSON text; JSON bodies as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except ValueError as exc:
            raise SlackFailure("invalid_arguments", detail=f"{name} is not valid JSON") from exc
    return value


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


class SlackState:
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
        self.messages: dict[str, list[SlackMessage]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, SlackView] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.responses: dict[str, ResponseTarget] = {}
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
            if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
                raise SlackFailure("invalid_blocks")
            if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
                raise SlackFailure("invalid_blocks")
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
            metadata=as_json(params.get("metadata"), "metadata"),
        )
        self.messages[channel.id].append(message)
        return message

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

    # ----------------------------------------------------------------- interactions

    def new_trigger(self, user: str) -> str:
        trigger = Trigger(f"{next(self._ids)}.{secrets.token_hex(8)}", user, self.clock())
        self.triggers[trigger.id] = trigger
        return trigger.id

    def use_trigger(self, trigger_id: Any) -> Trigger:
        trigger = self.triggers.get(str(trigger_id or ""))
        if trigger is None:
            raise SlackFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackFailure("exchanged_trigger_id")
        if self.clock() - trigger.created > self.trigger_ttl:
            raise SlackFailure("expired_trigger_id")
        trigger.used = True
        return trigger

    def new_response_target(
        self, channel: str | None, user: str, message_ts: str | None
    ) -> ResponseTarget:
        target = ResponseTarget(secrets.token_urlsafe(12), channel, user, message_ts)
        self.responses[target.token] = target
        return target

    # ----------------------------------------------------------------- views

    def _view_payload(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        view = as_json(params.get("view"), "view")
        if not isinstance(view, dict) or view.get("type") != kind:
            raise SlackFailure("invalid_arguments", detail=f"view must be a {kind} view")
        if not isinstance(view.get("blocks", []), list):
            raise SlackFailure("invalid_arguments", detail="view.blocks must be a list")
        if kind == "modal" and not isinstance(view.get("title"), dict):
            raise SlackFailure("invalid_arguments", detail="a modal needs a title")
        view = copy.deepcopy(view)
        view["blocks"] = bk.normalize(view.get("blocks", []))
        return view

    def _new_view(self, user: str, kind: str, view: dict[str, Any], root: str | None) -> SlackView:
        view_id = self._id("V")
        created = SlackView(
            id=view_id,
            user=user,
            type=kind,
            view=view,
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            root_view_id=root or view_id,
            external_id=view.get("external_id") or None,
        )
        if created.external_id and any(
            v.external_id == created.external_id for v in self.views.values()
        ):
            raise SlackFailure("duplicate_external_id")
        self.views[view_id] = created
        return created

    def open_view(self, params: dict[str, Any]) -> SlackView:
        view = self._view_payload(params, "modal")
        trigger = self.use_trigger(params.get("trigger_id"))
        self.modal_stacks[trigger.user] = []
        opened = self._new_view(trigger.user, "modal", view, None)
        self.modal_stacks[trigger.user].append(opened.id)
        return opened

    def push_view(self, params: dict[str, Any]) -> SlackView:
        view = self._view_payload(params, "modal")
        trigger = self.use_trigger(params.get("trigger_id"))
        stack = self.modal_stacks.get(trigger.user) or []
        if not stack:
            raise SlackFailure("not_found")
        if len(stack) >= 3:
            raise SlackFailure("push_limit_reached")
        return self.push_onto(trigger.user, view)

    def push_onto(self, user: str, view: dict[str, Any]) -> SlackView:
        stack = self.modal_stacks.setdefault(user, [])
        pushed = self._new_view(user, "modal", view, stack[0] if stack else None)
        pushed.previous_view_id = stack[-1] if stack else None
        stack.append(pushed.id)
        return pushed

    def find_view(self, view_id: Any, external_id: Any) -> SlackView:
        for view in self.views.values():
            if (view_id and view.id == view_id) or (
                external_id and view.external_id == external_id
            ):
                if view.closed:
                    raise SlackFailure("not_found")
                return view
        raise SlackFailure("not_found")

    def update_view(self, params: dict[str, Any]) -> SlackView:
        target = self.find_view(params.get("view_id"), params.get("external_id"))
        view = self._view_payload(params, target.type)
        if params.get("hash") and params["hash"] != target.hash:
            raise SlackFailure("hash_conflict")
        self.replace_view(target, view)
        return target

    def replace_view(self, target: SlackView, view: dict[str, Any]) -> None:
        target.history.append(target.view)
        target.view = view
        target.errors = None
        target.hash = f"{int(time.time())}.{secrets.token_hex(4)}"

    def publish_home(self, params: dict[str, Any]) -> SlackView:
        user = self.require_user(params.get("user_id"))
        view = self._view_payload(params, "home")
        current = self.home_views.get(user.id)
        if current is not None:
            home = self.views[current]
            if params.get("hash") and params["hash"] != home.hash:
                raise SlackFailure("hash_conflict")
            self.replace_view(home, view)
            return home
        home = self._new_view(user.id, "home", view, None)
        self.home_views[user.id] = home.id
        return home

    def close_views(self, user: str, view_id: str, everything: bool) -> None:
        """Close ``view_id`` (and the views above it), or the whole stack."""
        stack = self.modal_stacks.get(user, [])
        if view_id not in stack:
            return
        keep = [] if everything else stack[: stack.index(view_id)]
        for closed in stack[len(keep) :]:
            self.views[closed].closed = True
        self.modal_stacks[user] = keep
