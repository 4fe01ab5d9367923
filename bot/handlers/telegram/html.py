"""Telegram HTML messages: the templates, the message type, and splitting under the limit.

Telegram refuses a message longer than 4096 characters, so long text is split into
several messages, block by block, and a block that alone is too long is split between
lines (or, for one endless line, between words) — never inside an HTML tag or entity.
:mod:`bot.handlers.telegram.render` (views) and :mod:`bot.handlers.telegram.sales_kit`
(the kit's list and pages) build on this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.handlers import text
from bot.handlers.telegram.keyboards import Keyboard
from bot.handlers.telegram.platform import escape_telegram

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_MESSAGE = 4096
SAFE_LENGTH = 4000  # below the limit: Telegram counts UTF-16 units after parsing
_MARKUP = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;")


def render(template: str, **context: Any) -> str:
    """A Telegram template (``templates/``) with every value HTML-escaped."""
    return text.render(text.environment(TEMPLATES, escape_telegram), template, **context)


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: ``parse_mode=HTML`` text and its inline keyboard."""

    text: str
    keyboard: Keyboard = ()


def split_html(blocks: list[str], limit: int = SAFE_LENGTH) -> list[str]:
    """Pack rendered blocks into messages of at most ``limit`` characters, in order.

    Blocks are kept whole where they fit; a longer block is split between lines, and a
    longer line between words, never inside a tag or an ``&entity;``.
    """
    pieces: list[str] = []
    for block in blocks:
        pieces.extend(_split_block(block.strip("\n"), limit))
    messages: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            messages.append(current)
            current = piece
    if current:
        messages.append(current)
    return [m for m in messages if m.strip()]


def _split_block(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    out: list[str] = []
    current = ""
    for line in block.split("\n"):
        for part in _split_line(line, limit):
            joined = f"{current}\n{part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                out.append(current)
                current = part
    if current:
        out.append(current)
    return out


def _split_line(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    parts: list[str] = []
    rest = line
    while len(rest) > limit:
        cut = _safe_cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _safe_cut(text: str, limit: int) -> int:
    """The last position ≤ ``limit`` outside markup, preferably after a space."""
    blocked = [False] * (len(text) + 1)
    for match in _MARKUP.finditer(text):
        for i in range(match.start() + 1, match.end()):
            blocked[i] = True
    space = max(
        (i for i in range(limit // 2, limit + 1) if text[i - 1] == " " and not blocked[i]),
        default=None,
    )
    if space is not None:
        return space
    return next(i for i in range(limit, 0, -1) if not blocked[i])
