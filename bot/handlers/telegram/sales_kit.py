"""The sales kit on a phone: a short list, then one item per page with ‹ › buttons.

Every message here fits one phone screen: at most :data:`SCREEN` characters of HTML (so
fewer visible ones). The kit arrives as a list — one line per item: kind, title, validity
— with *Details ›*; the buttons then edit that same message into page 1, 2, … (one item
per page; an item too long for a screen takes several pages), and ≡ goes back to the
list. The buttons carry the kit's outbox row (``kit:<row>:<page>``); the press reads the
kit again for its owner (:mod:`bot.handlers.telegram.kit_press`). Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.notices import MessageView
from bot.handlers.kit_text import item_head, item_title, kit_items, kit_title, more_items, validity
from bot.handlers.telegram.html import Outgoing, render, split_html
from bot.handlers.telegram.keyboards import MAX_KIT_PAGES, kit_keyboard
from bot.handlers.telegram.platform import escape_telegram
from bot.i18n import t

SCREEN = 1200  # characters of one message (HTML, so fewer visible): one phone screen
_HEAD_ROOM = 40  # " · 12/34" and the blank line after the page's title


def ref_of(view: MessageView) -> int | None:
    ref = view.params.get("ref")
    return ref if isinstance(ref, int) and not isinstance(ref, bool) else None


def _head(view: MessageView) -> str:
    return f"📎 <b>{escape_telegram(kit_title(view))}</b>"


def _line(item: dict[str, Any], language: str) -> str:
    """``• <b>Offer (new)</b>: Winter bundle — <i>valid until 31.01.2027</i>``."""
    line = f"• <b>{escape_telegram(item_head(item, language))}</b>: "
    line += escape_telegram(item_title(item))
    until = validity(item, language)
    return f"{line} — <i>{escape_telegram(until)}</i>" if until else line


def pages(view: MessageView) -> list[str]:
    """The body of every page: each item on its own page(s), each page within a screen.

    An item too long for one screen goes on over several pages; each further page starts
    with the item's kind and title in italics, so a reader who pages on knows where they are.
    """
    lang = view.language
    room = SCREEN - len(_head(view)) - _HEAD_ROOM
    out: list[str] = []
    for item in kit_items(view):
        text = render("content_item.j2", item=item, lang=lang)
        going_on = f"<i>{escape_telegram(item_head(item, lang))}: "
        going_on += f"{escape_telegram(item_title(item))} …</i>\n"
        first, *rest = split_html([text], room - len(going_on)) or [""]
        out.append(first)
        out.extend(going_on + piece for piece in rest)
    return out[:MAX_KIT_PAGES]


def summary(view: MessageView) -> Outgoing:
    """The kit as it arrives: its title and one line per item (as many as fit a screen)."""
    lang = view.language
    items = kit_items(view)
    head = _head(view)
    count = escape_telegram(t(lang, "kit.count", count=len(items)))
    lines: list[str] = []
    used = len(head) + len(count) + 4
    for shown, item in enumerate(items):
        line = _line(item, lang)
        rest = len(items) - shown - 1
        reserve = len(escape_telegram(more_items(len(items), lang))) + 1 if rest else 0
        if used + len(line) + 1 + reserve > SCREEN:
            lines.append(escape_telegram(more_items(len(items) - shown, lang)))
            break
        lines.append(line)
        used += len(line) + 1
    text = "\n".join([head, "", *lines, "", f"<i>{count}</i>"])
    ref = ref_of(view)
    keyboard = kit_keyboard(ref, 0, len(pages(view)), lang) if ref is not None else ()
    return Outgoing(text, keyboard)


def page(view: MessageView, number: int) -> Outgoing:
    """Page ``number`` (1-based; past the end: the last page) with its ‹ ≡ › buttons."""
    found = pages(view)
    ref = ref_of(view)
    if not found or ref is None:
        return summary(view)
    number = max(1, min(number, len(found)))
    text = f"{_head(view)} · {number}/{len(found)}\n\n{found[number - 1]}"
    return Outgoing(text, kit_keyboard(ref, number, len(found), view.language))
