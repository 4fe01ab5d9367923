"""Is a signed Slack body something Bolt and our listeners can read? Checked before Bolt.

Bolt parses the body and digs into it (``body["actions"][0]``, ``"id" in body["team"]``,
``len(body["authorizations"])``) before any listener runs; a body of the wrong shape
makes it raise, and a request ends as a ``500`` with a traceback. Slack itself never
sends such bodies, but whoever holds the signing secret — or a bug upstream — could. So
:func:`parse` reads the body the way Bolt will (JSON, a ``payload=`` form, or a slash
command's form), with :mod:`bot.safejson`'s limits, and :func:`check` holds it against
the shape Slack documents for the fields Bolt and leadbot's parsers
(:mod:`bot.handlers.slack.payloads`) rely on. A body that fails gets ``400`` and is not
logged.

The fields :data:`TYPES` names as text are Slack's ids and constants (``user.id``,
``trigger_id``, ``event_id``, a button's ``value``): Slack never puts a control character
in them, and leadbot uses them as keys in the database, where PostgreSQL refuses a NUL.
So they are held to :mod:`bot.plaintext`'s rule for one line of text — no control
characters, no lone surrogates — like every other text from outside.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from bot import safejson
from bot.plaintext import bad_character

MAX_FORM_FIELDS = 100


class Malformed(ValueError):
    """A signed body that is not a Slack request leadbot can read (the reason, no content)."""


_TEXT = (str,)
_ID = (str, dict)  # Slack sends "user": "U1" in events and "user": {"id": "U1"} elsewhere
_OBJECT = (dict,)
TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        (
            "type",
            "token",
            "trigger_id",
            "response_url",
            "event_id",
            "api_app_id",
            "team_id",
            "user_id",
            "channel_id",
            "enterprise_id",
            "command",
            "callback_id",
            "challenge",
            "action_id",
            "block_id",
            "thread_ts",
            "user_team",
            "function_execution_id",
            "bot_access_token",
            "id",
            "value",  # a button's: leadbot's own digits (the Claim press stores it as sent)
            "private_metadata",  # a view's: leadbot's own JSON, escaped
        ),
        _TEXT,
    ),
    **dict.fromkeys(("team", "enterprise", "user", "channel"), _ID),
    **dict.fromkeys(
        (
            "event",
            "view",
            "container",
            "message",
            "previous_message",
            "item",
            "assistant_thread",
            "function_data",
            "state",
            "inputs",
        ),
        _OBJECT,
    ),
}
LISTS_OF_OBJECTS = ("authorizations", "response_urls", "actions")
NESTED = ("event", "message", "previous_message", "item", "assistant_thread", "view")


def parse(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will see it: a JSON object, or a form (with a JSON ``payload``)."""
    try:
        safejson.require_utf8(body)  # names UTF-16/32 ("not UTF-8" says too little)
        text = body.decode("utf-8")
    except safejson.JsonProblem as exc:
        raise Malformed(exc.message) from None
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    media = (content_type or "").split(";")[0].strip().lower()
    try:
        if media == "application/json" or text.startswith("{"):
            data = safejson.loads(text)
        else:
            form = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
            fields = dict(form)
            if "payload" in text:  # Bolt's own test: a form carrying a JSON payload
                data = safejson.loads(fields.get("payload") or "null")
            else:
                data = fields
                safejson.check(data)
    except safejson.JsonProblem as exc:
        raise Malformed(exc.message.split(":")[0]) from None
    except ValueError:  # parse_qsl: too many fields
        raise Malformed("too many form fields") from None
    if not isinstance(data, dict):
        raise Malformed(f"the payload is a JSON {type(data).__name__}, not an object")
    return data


def _typed(node: Mapping[str, Any], where: str) -> None:
    for key, allowed in TYPES.items():
        value = node.get(key)
        if value is None:
            continue
        if not isinstance(value, allowed):
            raise Malformed(f"{where}{key} has the wrong type")
        if isinstance(value, str) and (problem := bad_character(value)) is not None:
            raise Malformed(f"{where}{key} {problem}")
        if allowed is _ID and isinstance(value, dict):  # {"id": "U1", ...}: its id too
            _typed(value, f"{where}{key}.")
    for key in LISTS_OF_OBJECTS:
        value = node.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
        ):
            raise Malformed(f"{where}{key} is not a list of objects")


def _require_text(node: Mapping[str, Any], key: str, where: str = "") -> None:
    value = node.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(f"no {where}{key}")


def check(body: dict[str, Any]) -> None:
    """Refuse a body whose fields have types (or characters) Slack never sends, or that
    lacks what Bolt needs to route its ``type``. Unknown types pass (Bolt answers them as
    unhandled); a routed request that lacks what a listener needs (a user id) is told
    "something went wrong" by the listener's guard
    (:class:`bot.handlers.slack.payloads.PayloadError`)."""
    _typed(body, "")
    for key in NESTED:
        if isinstance(body.get(key), dict):
            _typed(body[key], f"{key}.")
    for item in (*(body.get("authorizations") or ()), *(body.get("actions") or ())):
        _typed(item, "")
    kind = body.get("type")
    if kind == "block_actions":
        if not body.get("actions"):
            raise Malformed("no actions")
        _require_text(body["actions"][0], "action_id", "actions[0].")
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict):
            raise Malformed("no view")
        _require_text(view, "id", "view.")
        _require_text(view, "callback_id", "view.")
    elif kind in ("shortcut", "message_action"):
        _require_text(body, "callback_id")
    elif kind == "block_suggestion":
        _require_text(body, "action_id")
    elif kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict):
            raise Malformed("no event")
        _require_text(event, "type", "event.")
    elif kind == "url_verification":
        _require_text(body, "challenge")
    elif kind is None and "command" in body:
        _require_text(body, "command")
