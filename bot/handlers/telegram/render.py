"""Views and replies to Telegram messages: HTML text (escaped by the templates) + keyboard.

Telegram refuses a message longer than 4096 characters, so a content pack (a dozen items
of up to 3000 characters) is split into several messages, item by item, and an item that
alone is too long is split between lines (or, for one endless line, between words) —
never inside an HTML tag or entity. The lead card is one message (it is edited in place),
so its only free-text field, the prospect's message, is shortened instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.chat.results import Reply
from bot.delivery.notices import (
    DigestView,
    LeadCardView,
    MessageView,
    NoticeKind,
    NoticeView,
    TeaserView,
)
from bot.handlers import text
from bot.handlers.telegram.keyboards import Keyboard, claim_keyboard, status_keyboard
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.text import reply_text
from bot.reports.digest import digest_lines

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


def render_teaser(view: TeaserView) -> Outgoing:
    text = render("teaser.j2", view=view)
    keyboard = () if view.closed else claim_keyboard(view.offer_id, view.language)
    return Outgoing(text, keyboard)


def render_card(view: LeadCardView) -> Outgoing:
    text = render("lead_card.j2", view=view)
    keyboard = status_keyboard(view.lead_id, view.actions, view.language) if view.lead else ()
    return Outgoing(text, keyboard)


def render_message(view: MessageView) -> list[Outgoing]:
    if view.kind is NoticeKind.CONTENT and "items" in view.params:
        return [Outgoing(text) for text in render_content(view)]
    text = render("message.j2", view=view)
    return [Outgoing(part) for part in split_html([text])]


def render_content(view: MessageView) -> list[str]:
    """A content pack or update: a heading, then the items, in as few messages as fit."""
    head = render("content_head.j2", view=view)
    items = [
        render("content_item.j2", item=item, lang=view.language)
        for item in view.params.get("items", [])
    ]
    return split_html([head, *items])


def render_digest(view: DigestView) -> Outgoing:
    """The caption of the digest photo (Telegram allows 1024 characters there)."""
    title, *rest = digest_lines(view)
    lines = [f"📊 <b>{escape_telegram(title)}</b>", *(escape_telegram(line) for line in rest)]
    return Outgoing("\n".join(lines))


def render_view(view: NoticeView) -> list[Outgoing]:
    """Every message a view becomes (teasers, cards and the digest caption: exactly one)."""
    if isinstance(view, DigestView):
        return [render_digest(view)]
    if isinstance(view, TeaserView):
        return [render_teaser(view)]
    if isinstance(view, LeadCardView):
        return [render_card(view)]
    return render_message(view)


def reply_html(reply: Reply, language: str) -> str:
    """A :class:`Reply` as an HTML message line."""
    mark = "✅" if reply.ok else "⚠️"
    return f"{mark} {escape_telegram(reply_text(language, reply.key, reply.params))}"


def reply_plain(reply: Reply, language: str, limit: int = 200) -> str:
    """A :class:`Reply` for a callback answer (plain text, at most 200 characters)."""
    text = reply_text(language, reply.key, reply.params)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- splitting --------------------------------------------------------------------------


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
