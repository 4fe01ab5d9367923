"""Block Kit helpers: find buttons and inputs, collect visible text, build action payloads.

Slack sends back, in an interaction, the element the user touched and, for forms, the
state of every input. The driver builds those from the blocks the bot really posted, so
a test presses the button the bot rendered, not one the test invented.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

_ids = itertools.count(1)
MAX_ACTIONS = 25  # elements in one actions block
MAX_OVERFLOW = 5  # options in an overflow menu (and at least 2)

TEXT_INPUTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
SINGLE_OPTION = {"static_select", "radio_buttons", "overflow", "external_select"}
MULTI_OPTION = {"multi_static_select", "checkboxes", "multi_external_select"}
PICKED = {
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
}


def normalize(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every block a ``block_id`` and every element an ``action_id``, as Slack does."""
    for block in blocks:
        block.setdefault("block_id", f"b{next(_ids):05d}")
        for _, element in _elements_of(block):
            element.setdefault("action_id", f"a{next(_ids):05d}")
    return blocks


def _elements_of(block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    kind = block.get("type")
    block_id = str(block.get("block_id", ""))
    if kind == "actions":
        for element in block.get("elements", []):
            if isinstance(element, dict):
                yield block_id, element
    elif kind == "section" and isinstance(block.get("accessory"), dict):
        accessory = block["accessory"]
        if accessory.get("type") != "image":
            yield block_id, accessory
    elif kind == "input" and isinstance(block.get("element"), dict):
        yield block_id, block["element"]


def elements(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every interactive element as ``(block_id, element)``, in display order."""
    return [pair for block in blocks for pair in _elements_of(block)]


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button, with its ``block_id`` added (a copy, safe to keep)."""
    return [
        {**element, "block_id": block_id}
        for block_id, element in elements(blocks)
        if element.get("type") == "button"
    ]


def find_element(
    blocks: list[dict[str, Any]],
    action_id: str,
    value: str | None = None,
    option: Any = None,
) -> tuple[str, dict[str, Any]] | None:
    """The element with this ``action_id`` (and button ``value``, when given).

    With ``option``, an element that offers it is preferred: on a message with several
    overflow menus sharing an action_id (one per lead), the test picks the menu that really
    offers ``lost:12``. If none offers it, the first match is returned (and choosing the
    missing option then fails, naming the options there are).
    """
    matches = [
        (block_id, element)
        for block_id, element in elements(blocks)
        if element.get("action_id") == action_id
        and not (
            value is not None and element.get("type") == "button" and element.get("value") != value
        )
    ]
    if option is not None:
        offering = [m for m in matches if str(option) in _values(m[1])]
        if offering:
            return offering[0]
    return matches[0] if matches else None


def offers(blocks: list[dict[str, Any]], action_id: str, option: Any) -> bool:
    """Whether a menu ``action_id`` in ``blocks`` has an option with value ``option``."""
    return any(
        element.get("action_id") == action_id and str(option) in _values(element)
        for _, element in elements(blocks)
    )


def check_elements(blocks: list[dict[str, Any]]) -> str | None:
    """What Slack would refuse in the interactive elements of ``blocks`` (None: fine).

    Checked as Slack documents it: an actions block holds at most 25 elements, action_ids
    are unique within a block, button labels and option texts are at most 75 characters,
    an overflow menu has 2 to 5 options with values of at most 75 characters.
    """
    for block in blocks:
        if block.get("type") == "actions" and len(block.get("elements") or []) > MAX_ACTIONS:
            return "invalid_blocks"
        seen: set[str] = set()
        for _, element in _elements_of(block):
            action_id = element.get("action_id")
            if isinstance(action_id, str):
                if action_id in seen:
                    return "invalid_blocks"
                seen.add(action_id)
            kind = element.get("type")
            if kind == "button" and len(str((element.get("text") or {}).get("text", ""))) > 75:
                return "invalid_blocks"
            if kind == "overflow":
                options = element.get("options")
                if not isinstance(options, list) or not 2 <= len(options) <= MAX_OVERFLOW:
                    return "invalid_blocks"
                for option in options:
                    text = (option.get("text") or {}) if isinstance(option, dict) else {}
                    value = option.get("value") if isinstance(option, dict) else None
                    if text.get("type") != "plain_text" or len(str(text.get("text", ""))) > 75:
                        return "invalid_blocks"
                    if not isinstance(value, str) or not value or len(value) > 75:
                        return "invalid_blocks"
    return None


def text_of(blocks: list[dict[str, Any]]) -> str:
    """All text a user would read in these blocks, one piece a line."""
    return "\n".join(_texts(blocks))


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn", "text") and isinstance(
            node.get("text"), str
        ):
            yield node["text"]
            return
        for key, value in node.items():
            if key not in ("action_id", "block_id", "value", "url", "type", "style"):
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _values(element: dict[str, Any]) -> set[str]:
    return {str(o.get("value")) for o in options_of(element)}


def options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(element.get("options", []))
    for group in element.get("option_groups", []):
        found.extend(group.get("options", []))
    return found


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    for option in options_of(element):
        if option.get("value") == str(value):
            return option
    available = [o.get("value") for o in options_of(element)]
    raise LookupError(
        f"element {element.get('action_id')!r} has no option {value!r}; options: {available}"
    )


def selection(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The part of an action or input state saying what the user chose or typed."""
    kind = element.get("type")
    if kind in TEXT_INPUTS:
        return {"value": None if value is None else str(value)}
    if kind in SINGLE_OPTION:
        return {"selected_option": None if value is None else _option(element, value)}
    if kind in MULTI_OPTION:
        return {"selected_options": [_option(element, v) for v in (value or [])]}
    if kind in PICKED:
        return {PICKED[kind]: value}
    if kind == "button":
        return {"value": element.get("value")} if "value" in element else {}
    raise LookupError(f"cannot fill a {kind!r} element ({element.get('action_id')!r})")


def initial(element: dict[str, Any]) -> Any:
    """What an input holds before the user touches it (its ``initial_*`` field)."""
    kind = element.get("type")
    if kind in TEXT_INPUTS:
        return element.get("initial_value")
    if kind in SINGLE_OPTION:
        return (element.get("initial_option") or {}).get("value")
    if kind in MULTI_OPTION:
        return [o.get("value") for o in element.get("initial_options", [])]
    if kind in PICKED:
        return element.get(PICKED[kind].replace("selected_", "initial_"))
    return None


def action(block_id: str, element: dict[str, Any], value: Any, action_ts: str) -> dict[str, Any]:
    """One entry of a ``block_actions`` payload's ``actions`` list."""
    entry: dict[str, Any] = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if element.get("type") == "button":
        entry["text"] = element.get("text")
        if "style" in element:
            entry["style"] = element["style"]
    entry.update(selection(element, value))
    return entry


def state_values(blocks: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """A view's ``state.values`` with ``values`` (by action_id) typed into its inputs.

    Inputs not named are sent empty, as Slack does. Naming an action_id the view does not
    have is a test mistake and raises LookupError.
    """
    state: dict[str, dict[str, Any]] = {}
    unknown = set(values)
    for block in blocks:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        action_id = str(element.get("action_id"))
        unknown.discard(action_id)
        chosen = values[action_id] if action_id in values else initial(element)
        state.setdefault(str(block["block_id"]), {})[action_id] = {
            "type": element.get("type"),
            **selection(element, chosen),
        }
    if unknown:
        have = [str(b["element"].get("action_id")) for b in blocks if b.get("type") == "input"]
        raise LookupError(f"the view has no input {sorted(unknown)}; inputs: {have}")
    return state
