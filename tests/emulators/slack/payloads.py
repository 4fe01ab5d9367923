"""The bodies Slack sends to an app: interaction payloads, slash-command forms, events.

Shaped after what Slack really sends (and what Bolt reads): the user and team envelope,
``block_actions`` with the touched element, the slash-command form fields, and the Events
API ``event_callback`` wrapper with ``event_id`` and ``authorizations``.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Mapping
from typing import Any

from tests.emulators.slack import blocks as bk
from tests.emulators.slack.state import SlackState

_event_ids = itertools.count(1)


def envelope(state: SlackState, user: str, token: str) -> dict[str, Any]:
    """The ``team`` / ``user`` / app fields every interaction payload carries."""
    return {
        "team": {"id": state.team_id, "domain": "leadbot-test"},
        "user": {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": state.team_id,
        },
        "api_app_id": state.app_id,
        "token": token,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_actions(
    state: SlackState,
    user: str,
    token: str,
    trigger: str,
    found: tuple[str, dict[str, Any]],
    option: Any,
) -> dict[str, Any]:
    """A ``block_actions`` payload for the element ``found`` (``(block_id, element)``)."""
    block_id, element = found
    return {
        **envelope(state, user, token),
        "type": "block_actions",
        "trigger_id": trigger,
        "state": {"values": {}},
        "actions": [bk.action(block_id, element, option, f"{time.time():.6f}")],
    }


def slash_command(
    state: SlackState,
    token: str,
    *,
    command: str,
    text: str,
    user: str,
    channel: str,
    trigger: str,
    response_url: str,
) -> dict[str, str]:
    """The form fields of a slash command invocation."""
    return {
        "token": token,
        "team_id": state.team_id,
        "team_domain": "leadbot-test",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else channel,
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": state.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger,
    }


def event_callback(
    state: SlackState, token: str, event: Mapping[str, Any], event_id: str | None
) -> dict[str, Any]:
    """The Events API wrapper; a new ``event_id`` unless one is given (for retries)."""
    return {
        "token": token,
        "team_id": state.team_id,
        "api_app_id": state.app_id,
        "event": {"event_ts": f"{time.time():.6f}", **event},
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}{secrets.token_hex(3).upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": state.team_id,
                "user_id": state.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
