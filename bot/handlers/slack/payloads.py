"""Slack's request bodies turned into plain values: one small parser per payload type.

Handlers never dig through Slack's nested JSON themselves. Each function here takes the
body Bolt hands over (an interaction payload, a slash-command form, an Events API event)
and returns a frozen dataclass with just what leadbot needs, or raises
:class:`PayloadError` naming what is missing — so a malformed or unexpected request is
refused in one place, with a clear message, and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import safejson
from bot.chat.ids import database_id

log = logging.getLogger("bot.handlers.slack")

_NUMBER = re.compile(r"#?(\d{1,12})")


class PayloadError(ValueError):
    """The request lacks something every request of its type carries."""


@dataclass(frozen=True)
class ButtonPress:
    """A ``block_actions`` payload: a user pressed a button on a message or in a view."""

    user_id: str
    action_id: str
    value: str
    trigger_id: str | None
    channel_id: str | None  # where the message is (None in App Home and modals)
    message_ts: str | None
    view_id: str | None  # set when pressed in App Home or a modal
    in_home: bool


@dataclass(frozen=True)
class Submission:
    """A ``view_submission`` payload: a user pressed the modal's submit button."""

    user_id: str
    callback_id: str
    view_id: str
    metadata: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)  # block_id -> what the user chose

    def row_id(self, key: str) -> int | None:
        """The lead or offer the modal was opened for (``key`` in its ``private_metadata``),
        or None — logged — when it names none the database could hold.

        leadbot wrote that id itself when it opened the modal, so a missing, non-integer or
        out-of-range one is a forged or broken request: the caller closes the modal and
        changes nothing.
        """
        found = database_id(self.metadata.get(key))
        if found is None:
            log.info("slack: a modal submission names no valid %s; nothing changed", key)
        return found


@dataclass(frozen=True)
class SlashCommand:
    user_id: str
    command: str
    text: str
    channel_id: str | None


@dataclass(frozen=True)
class HomeOpened:
    user_id: str
    tab: str


def _text(data: Mapping[str, Any], *path: str) -> str | None:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if isinstance(node, str) and node else None


def _require(value: str | None, what: str) -> str:
    if value is None:
        raise PayloadError(f"the Slack request has no {what}")
    return value


def button_press(body: Mapping[str, Any]) -> ButtonPress:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        raise PayloadError("the Slack request has no actions")
    action = actions[0]
    value = action.get("value")
    if value is None and isinstance(action.get("selected_option"), Mapping):
        value = action["selected_option"].get("value")
    view = body.get("view") if isinstance(body.get("view"), Mapping) else None
    return ButtonPress(
        user_id=_require(_text(body, "user", "id"), "user id"),
        action_id=_require(_text(action, "action_id"), "action_id"),
        value=str(value or ""),
        trigger_id=_text(body, "trigger_id"),
        channel_id=_text(body, "container", "channel_id") or _text(body, "channel", "id"),
        message_ts=_text(body, "container", "message_ts"),
        view_id=_text(view, "id") if view else None,
        in_home=bool(view) and view.get("type") == "home",
    )


def _chosen(element: Mapping[str, Any]) -> Any:
    """What one input holds: typed text, the chosen option's value, or the picked date."""
    if "selected_option" in element:
        option = element.get("selected_option")
        return option.get("value") if isinstance(option, Mapping) else None
    if "selected_options" in element:
        return [o.get("value") for o in element.get("selected_options") or []]
    if "selected_date" in element:
        return element.get("selected_date")
    return element.get("value")


def view_submission(body: Mapping[str, Any]) -> Submission:
    view = body.get("view")
    if not isinstance(view, Mapping):
        raise PayloadError("the Slack request has no view")
    try:
        metadata = safejson.loads(view.get("private_metadata") or "{}")
    except safejson.JsonProblem:
        raise PayloadError("the view's private_metadata is not JSON") from None
    values: dict[str, Any] = {}
    state = (
        view.get("state", {}).get("values", {}) if isinstance(view.get("state"), Mapping) else {}
    )
    for block_id, inputs in state.items():
        if isinstance(inputs, Mapping):
            for element in inputs.values():
                if isinstance(element, Mapping):
                    values[str(block_id)] = _chosen(element)
    return Submission(
        user_id=_require(_text(body, "user", "id"), "user id"),
        callback_id=_require(_text(view, "callback_id"), "callback_id"),
        view_id=_require(_text(view, "id"), "view id"),
        metadata=metadata if isinstance(metadata, dict) else {},
        values=values,
    )


def slash_command(body: Mapping[str, Any]) -> SlashCommand:
    return SlashCommand(
        user_id=_require(_text(body, "user_id"), "user_id"),
        command=_require(_text(body, "command"), "command"),
        text=str(body.get("text") or "").strip(),
        channel_id=_text(body, "channel_id"),
    )


def home_opened(event: Mapping[str, Any]) -> HomeOpened:
    return HomeOpened(
        user_id=_require(_text(event, "user"), "user"), tab=_text(event, "tab") or "home"
    )


def number(value: str) -> int | None:
    """An offer or lead id from a button value or a command word (``12`` or ``#12``);
    None for anything else, including ids no row can have (:func:`database_id`)."""
    match = _NUMBER.fullmatch(value.strip())
    return database_id(int(match.group(1))) if match else None


def delivery_key(body: Mapping[str, Any], raw: str) -> str:
    """What identifies one delivery from Slack, so that its retries are processed once.

    Events carry an ``event_id`` that Slack keeps on every retry. Interactions and slash
    commands carry a ``trigger_id`` unique to the user's click; a resent body has the same
    one. Anything else is identified by its exact body.
    """
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return _bounded(f"event:{event_id}")
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return _bounded(f"trigger:{trigger}")
    return "body:" + hashlib.sha256(raw.encode()).hexdigest()


MAX_KEY = 180
"""Longest delivery key kept as it is (the seen marks' column holds 200 with the platform's
prefix); Slack's own ids are far shorter, a longer one is hashed."""


def _bounded(key: str) -> str:
    return key if len(key) <= MAX_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()
