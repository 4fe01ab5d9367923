"""The sales kit in Slack: a short list first, the full items at the press of a button.

A kit of ten items with long bodies is a wall on a phone. So the DM shows one line per
item (kind, title, validity) and a *Show details* button; pressing it expands the same
message in place to the full items, with *Show less* to fold it again
(:mod:`bot.handlers.slack.kit_press`). The buttons carry the outbox row of the kit
(``params["ref"]``), so the press re-reads the kit as it stands then — for its owner only.

Pure builders, like :mod:`bot.handlers.slack.blocks`.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.notices import MessageView
from bot.handlers.kit_text import item_head, item_title, kit_items, kit_title, validity
from bot.handlers.slack.kit import (
    MAX_BLOCKS,
    MAX_SECTION,
    Block,
    Message,
    actions,
    button,
    chunks,
    context,
    divider,
    esc,
    section,
    split_messages,
)
from bot.i18n import t

DETAILS = "kit_details"  # "Show details": value = the kit's outbox id
LESS = "kit_less"  # "Show less": back to the short list; value = the kit's outbox id


def _ref(view: MessageView) -> int | None:
    ref = view.params.get("ref")
    return ref if isinstance(ref, int) and not isinstance(ref, bool) else None


def _toggle(view: MessageView, action_id: str, key: str) -> Block | None:
    ref = _ref(view)
    if ref is None:
        return None
    return actions([button(t(view.language, key), action_id, str(ref))], block_id=f"kit-{ref}")


def summary(view: MessageView) -> Message:
    """The kit as it arrives: its title, one line per item, and *Show details*."""
    lang, title = view.language, kit_title(view)
    items = kit_items(view)
    lines = "\n".join(_line(item, lang) for item in items)
    blocks: list[Block] = [section(f":paperclip: *{esc(title)}*")]
    blocks.extend(section(piece) for piece in chunks(lines))
    blocks.append(context(esc(t(lang, "kit.count", count=len(items)))))
    toggle = _toggle(view, DETAILS, "kit.details")
    if toggle is not None:
        blocks.append(toggle)
    return Message(esc(title), blocks)


def arriving(view: MessageView) -> list[Message]:
    """How a kit arrives: the short list — or, when it cannot be expanded later (no outbox
    row to read it back from), every item at once."""
    return [summary(view)] if _ref(view) is not None else details(view)


def _line(item: dict[str, Any], language: str) -> str:
    """``• *Offer (new)*: Winter bundle — _valid until 31.01.2027_`` (escaped)."""
    line = f"• *{esc(item_head(item, language))}*: {esc(item_title(item))}"
    until = validity(item, language)
    return f"{line} — _{esc(until)}_" if until else line


def _item(item: dict[str, Any], language: str) -> list[Block]:
    """One item in full: a bold head, the body (split where Slack needs it), the link."""
    head = f"*{esc(item_head(item, language))}: {esc(item.get('title', ''))}*"
    until = validity(item, language)
    if until:
        head += f" — {esc(until)}"
    body = esc(str(item.get("body") or "").strip())
    if item.get("url"):
        body = f"{body}\n{esc(item['url'])}" if body else esc(item["url"])
    text = f"{head}\n{body}" if body else head
    if len(text) <= MAX_SECTION:
        return [section(text)]
    return [section(head), *(section(piece) for piece in chunks(body))]


def details(view: MessageView) -> list[Message]:
    """The kit expanded: every item in full, then *Show less*.

    Usually one message; a kit too large for Slack's 50 blocks continues in more messages
    (the caller posts them in the message's thread)."""
    lang, title = view.language, kit_title(view)
    blocks: list[Block] = [section(f":paperclip: *{esc(title)}*")]
    for item in kit_items(view):
        blocks.append(divider())
        blocks.extend(_item(item, lang))
    messages = split_messages(esc(title), blocks)
    toggle = _toggle(view, LESS, "kit.less")
    if toggle is not None:
        first = messages[0]
        if len(first.blocks) < MAX_BLOCKS:
            messages[0] = Message(first.text, [*first.blocks, toggle])
    return messages
