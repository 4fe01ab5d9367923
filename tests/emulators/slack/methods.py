"""The Slack Web API methods the emulator serves, as functions of the workspace state.

Each takes the state (the caller holds the lock), the decoded parameters and, for the
response URL, the token from its path; it returns the result fields merged into
``{"ok": true, ...}`` or raises :class:`SlackFailure`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.emulators.slack.errors import SlackFailure, as_bool
from tests.emulators.slack.models import Ephemeral, SlackMessage, SlackView
from tests.emulators.slack.state import SlackState

Method = Callable[[SlackState, dict[str, Any], str | None], dict[str, Any]]
RESPONSE_URL = "response_url"
MAX_RESPONSE_USES = 5


def auth_test(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return {
        "url": "https://leadbot-test.slack.com/",
        "team": "leadbot test",
        "user": "leadbot",
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


def _message_result(state: SlackState, message: SlackMessage) -> dict[str, Any]:
    return {
        "channel": message.channel,
        "ts": message.ts,
        "message": message.as_api(state.team_id),
    }


def post_message(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return _message_result(state, state.post(params))


def update(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    message = state.update(params)
    return {**_message_result(state, message), "text": message.text}


def delete(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    message = state.delete(params)
    return {"channel": message.channel, "ts": message.ts}


def post_ephemeral(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return {"message_ts": state.post_ephemeral(params).ts}


def conversations_open(
    state: SlackState, params: dict[str, Any], token: str | None
) -> dict[str, Any]:
    if params.get("channel"):
        channel = state.resolve_channel(params["channel"])
        if channel.im_user is None:
            raise SlackFailure("channel_not_found")
        return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
    users = params.get("users") or ""
    ids = users if isinstance(users, list) else [u.strip() for u in str(users).split(",")]
    ids = [u for u in ids if u]
    if not ids:
        raise SlackFailure("users_list_not_supplied")
    if len(ids) > 1:
        raise SlackFailure("not_supported", detail="the emulator opens 1:1 DMs only")
    user = state.require_user(ids[0])
    existed = any(c.im_user == user.id for c in state.channels.values())
    channel_id = state.dm_channel(user.id)
    channel: dict[str, Any] = {"id": channel_id}
    if as_bool(params.get("return_im")):
        channel.update({"is_im": True, "user": user.id, "is_open": True})
    return {"no_op": existed, "already_open": existed, "channel": channel}


def conversations_history(
    state: SlackState, params: dict[str, Any], token: str | None
) -> dict[str, Any]:
    return state.history(params)


def users_info(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    user = state.require_user(params.get("user"))
    return {"user": user.as_api(state.team_id, as_bool(params.get("include_locale")))}


def users_lookup_by_email(
    state: SlackState, params: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """Needs the ``users:read.email`` scope (``state.scopes``); ``users_not_found`` else."""
    if "users:read.email" not in state.scopes:
        raise SlackFailure("missing_scope", needed="users:read.email", provided="chat:write")
    wanted = str(params.get("email") or "").strip().lower()
    for user in state.users.values():
        if user.email and user.email.lower() == wanted:
            return {"user": user.as_api(state.team_id, False)}
    raise SlackFailure("users_not_found")


def _view_result(state: SlackState, view: SlackView) -> dict[str, Any]:
    state = state
    return {"view": view.as_api(state.team_id, state.app_id, state.bot_id)}


def views_open(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return _view_result(state, state.open_view(params))


def views_push(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return _view_result(state, state.push_view(params))


def views_update(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return _view_result(state, state.update_view(params))


def views_publish(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    return _view_result(state, state.publish_home(params))


def response_url(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    """What Slack does with a POST to an interaction's ``response_url``."""
    state = state
    target = state.responses.get(token or "")
    if target is None:
        raise SlackFailure("expired_url")
    if target.uses >= MAX_RESPONSE_USES:
        raise SlackFailure("used_url")
    target.uses += 1
    original = _original(state, target.channel, target.message_ts)
    if as_bool(params.get("delete_original")):
        if isinstance(original, SlackMessage):
            original.deleted = True
        elif isinstance(original, Ephemeral):
            state.ephemerals.remove(original)
        return {}
    content = state._content(params, require=not as_bool(params.get("replace_original")))
    if as_bool(params.get("replace_original")) and original is not None:
        if isinstance(original, SlackMessage):
            state.replace(original, content)
        else:
            original.text = str(content["text"] or original.text)
            original.blocks = content["blocks"] or original.blocks
        return {}
    if target.channel is None:
        raise SlackFailure("channel_not_found")
    if params.get("response_type") == "in_channel":
        channel = state.resolve_channel(target.channel)
        message = SlackMessage(
            channel.id,
            state.next_ts(),
            str(content["text"] or ""),
            content["blocks"] or [],
            state.bot_user_id,
            state.bot_id,
            attachments=content["attachments"] or [],
        )
        state.messages[channel.id].append(message)
        return {}
    state.ephemerals.append(
        Ephemeral(
            target.channel,
            target.user,
            state.next_ts(),
            str(content["text"] or ""),
            content["blocks"] or [],
            RESPONSE_URL,
        )
    )
    return {}


def _original(
    state: SlackState, channel: str | None, ts: str | None
) -> SlackMessage | Ephemeral | None:
    if channel is None or ts is None:
        return None
    for message in state.messages.get(channel, []):
        if message.ts == ts and not message.deleted:
            return message
    return next((e for e in state.ephemerals if e.ts == ts), None)


def get_upload_url(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    """Step 1 of files_upload_v2: a URL to POST the bytes to, and the file's id."""
    upload = state.new_upload(params)
    return {"upload_url": f"{state.upload_base}/upload/{upload.id}", "file_id": upload.id}


def complete_upload(state: SlackState, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    """Step 3: share the uploaded files in ``channel_id`` with ``initial_comment``."""
    return {"files": state.complete_uploads(params)}


METHODS: dict[str, Method] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "auth.test": auth_test,
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "conversations.open": conversations_open,
    "conversations.history": conversations_history,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    RESPONSE_URL: response_url,
}
