"""Telegram's HTML parse mode: what the user sees, the entities, and the parse errors.

Telegram refuses a message whose HTML it cannot parse (``Bad Request: can't parse
entities: ...``). That is exactly what happens when a bot forgets to escape a lead's
company name such as ``Müller <GmbH>``, so the emulator checks it the same way.
"""

from __future__ import annotations

import html
import re
from typing import Any

TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>"
)
ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot);")
KINDS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


class ParseError(ValueError):
    """Telegram's "can't parse entities" reason."""


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and the entities (UTF-16 offsets) of a ``parse_mode=HTML`` text."""
    out: list[str] = []
    length = 0  # UTF-16 units written so far
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = TAG.match(source, i)
            offset = len(source[:i].encode())
            if match is None:
                raise ParseError(f"Unsupported start tag at byte offset {offset}")
            closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if name not in KINDS:
                raise ParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1][0] != name:
                    raise ParseError(f"Unexpected end tag at byte offset {offset}")
                tag, start, attributes = stack.pop()
                if length > start:
                    entities.append(_entity(tag, start, length - start, attributes))
            else:
                attributes = {
                    m.group(1).lower(): html.unescape(
                        next((g for g in m.groups()[1:] if g is not None), "")
                    )
                    for m in ATTR.finditer(attrs)
                }
                if name == "span" and attributes.get("class") != "tg-spoiler":
                    raise ParseError(f'Unsupported start tag "span" at byte offset {offset}')
                if name == "a" and "href" not in attributes:
                    attributes["href"] = ""
                stack.append((name, length, attributes))
            i = match.end()
            continue
        if char == "&":
            match = ENTITY.match(source, i)
            if match is not None:
                text = html.unescape(match.group(0))
                out.append(text)
                length += _utf16_len(text)
                i = match.end()
                continue
        out.append(char)
        length += _utf16_len(char)
        i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity(tag: str, offset: int, length: int, attributes: dict[str, str]) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": KINDS[tag], "offset": offset, "length": length}
    if tag == "a":
        entity["url"] = attributes.get("href", "")
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    return entity
