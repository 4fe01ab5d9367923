"""The words of a sales kit that every chat shares: one line per item, counts, the title.

A kit arrives in a chat as a short list — one line per item: its kind, title and validity
— with a way to read the items in full (Slack: a button that expands the message,
Telegram: one page per item). These helpers give the unescaped text; each platform
escapes it for its format.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.notices import MessageView
from bot.handlers.text import day, label
from bot.i18n import t

TITLE_WIDTH = 90  # a title in the short list is cut here (titles may have 200 characters)


def kit_title(view: MessageView) -> str:
    """``Sales kit for lead #12`` / ``New or changed in your sales kit``."""
    return t(view.language, f"content.{view.event}", lead_id=view.lead_id)


def kit_items(view: MessageView) -> list[dict[str, Any]]:
    items = view.params.get("items", [])
    return [item for item in items if isinstance(item, dict)]


def item_head(item: dict[str, Any], language: str) -> str:
    """``Offer (new)``: the item's kind and, in an update, whether it is new or changed."""
    kind = label(language, "content.kind", item.get("kind"))
    change = item.get("change")
    return f"{kind} ({t(language, 'content.' + change)})" if change else kind


def validity(item: dict[str, Any], language: str) -> str | None:
    """``valid until 31.01.2027`` for items with an end date, else None."""
    if not item.get("valid_until"):
        return None
    return t(language, "content.valid_until", date=day(item["valid_until"], language))


def item_title(item: dict[str, Any], width: int = TITLE_WIDTH) -> str:
    title = " ".join(str(item.get("title") or "").split())
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def more_items(count: int, language: str) -> str:
    """``… and 3 more`` under a list that shows only the first items."""
    return t(language, "kit.more_items", count=count)
