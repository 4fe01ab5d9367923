"""What Slack refuses in Block Kit: the documented limits of blocks, text objects and views.

Slack answers ``invalid_blocks`` to a message (``chat.postMessage``, ``chat.update``,
``chat.postEphemeral``, a ``response_url``) and ``invalid_arguments`` to a view
(``views.open``/``push``/``update``/``publish``) that breaks one of them; the message or
view is then not shown at all. The emulator refuses the same, so a test sees what a user
would see: nothing. Limits as in Slack's Block Kit reference (blocks, composition objects,
block elements, view objects).
"""

from __future__ import annotations

from typing import Any

from tests.emulators.slack import blocks as bk

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000  # a text object (a section's text, a context element)
MAX_FIELD = 2000  # one of a section's fields
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ID = 255  # block_id, action_id, callback_id, external_id
MAX_BUTTON_VALUE = 2000
MAX_VIEW_TITLE = 24  # a modal's title, submit and close
MAX_METADATA = 3000  # a view's private_metadata
MAX_LABEL = 2000  # an input's label and hint
MAX_PLACEHOLDER = 150
MAX_SELECT_OPTIONS = 100
MAX_CONFIRM = {"title": 100, "text": 300, "confirm": 30, "deny": 30}


class Refused(Exception):
    """Slack would refuse this; the message says what (for the test's failure output)."""


def _text(obj: Any, limit: int, where: str, *, plain_only: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise Refused(f"{where}: not a text object")
    if plain_only and obj["type"] != "plain_text":
        raise Refused(f"{where}: must be plain_text")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise Refused(f"{where}: empty text")
    if len(text) > limit:
        raise Refused(f"{where}: {len(text)} characters, more than {limit}")


def _id(value: Any, where: str) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_ID):
        raise Refused(f"{where}: not a string of at most {MAX_ID} characters")


def _element(element: dict[str, Any], where: str) -> None:
    _id(element.get("action_id"), f"{where}.action_id")
    kind = element.get("type")
    if kind == "button":
        value = element.get("value")
        if value is not None and len(str(value)) > MAX_BUTTON_VALUE:
            raise Refused(f"{where}.value: more than {MAX_BUTTON_VALUE} characters")
    if "placeholder" in element:
        _text(element["placeholder"], MAX_PLACEHOLDER, f"{where}.placeholder", plain_only=True)
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        for key, limit in MAX_CONFIRM.items():
            if key in confirm:
                _text(confirm[key], limit, f"{where}.confirm.{key}")
    if kind in bk.SINGLE_OPTION | bk.MULTI_OPTION and kind != "overflow":
        options = bk.options_of(element)
        if len(options) > MAX_SELECT_OPTIONS:
            raise Refused(f"{where}: more than {MAX_SELECT_OPTIONS} options")
        for n, option in enumerate(options):
            _text(option.get("text"), 75, f"{where}.options[{n}].text")
            if len(str(option.get("value", ""))) > 150:
                raise Refused(f"{where}.options[{n}].value: more than 150 characters")


def _block(block: dict[str, Any], where: str) -> None:
    _id(block.get("block_id"), f"{where}.block_id")
    kind = block.get("type")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            raise Refused(f"{where}: a section needs text or fields")
        if "text" in block:
            _text(block["text"], MAX_TEXT, f"{where}.text")
        found = block.get("fields", [])
        if not isinstance(found, list) or len(found) > MAX_FIELDS:
            raise Refused(f"{where}.fields: more than {MAX_FIELDS}")
        for n, field in enumerate(found):
            _text(field, MAX_FIELD, f"{where}.fields[{n}]")
    elif kind == "header":
        _text(block.get("text"), MAX_HEADER, f"{where}.text", plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            raise Refused(f"{where}.elements: 1 to {MAX_CONTEXT_ELEMENTS} needed")
        for n, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                _text(element, MAX_TEXT, f"{where}.elements[{n}]")
    elif kind == "input":
        _text(block.get("label"), MAX_LABEL, f"{where}.label", plain_only=True)
        if "hint" in block:
            _text(block["hint"], MAX_LABEL, f"{where}.hint", plain_only=True)
    for block_id, element in bk.elements([block]):
        del block_id
        _element(element, f"{where}.element")


def check_blocks(blocks: list[Any], limit: int) -> str | None:
    """Why Slack would refuse these blocks (a sentence), or None when it takes them."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        return f"more than {limit} blocks"
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
        return "a block that is not an object with a type"
    if bk.check_elements(blocks) is not None:
        return "an interactive element Slack refuses"
    try:
        for n, block in enumerate(blocks):
            _block(block, f"blocks[{n}]")
    except Refused as refused:
        return str(refused)
    return None


def check_view(view: dict[str, Any]) -> str | None:
    """Why Slack would refuse this modal or Home tab, or None."""
    try:
        if view.get("type") == "modal":
            _text(view.get("title"), MAX_VIEW_TITLE, "title", plain_only=True)
            for key in ("submit", "close"):
                if key in view:
                    _text(view[key], MAX_VIEW_TITLE, key, plain_only=True)
        metadata = view.get("private_metadata")
        if metadata is not None and len(str(metadata)) > MAX_METADATA:
            raise Refused(f"private_metadata: more than {MAX_METADATA} characters")
        _id(view.get("callback_id"), "callback_id")
        _id(view.get("external_id"), "external_id")
    except Refused as refused:
        return str(refused)
    return check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
