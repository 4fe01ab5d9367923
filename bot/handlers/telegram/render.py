"""Views and replies to Telegram messages: HTML text (escaped by the templates) + keyboard.

Messages leadbot pushes to a rep fit one phone screen: the sales kit arrives as a short
list and is read page by page (:mod:`bot.handlers.telegram.sales_kit`); the lead card is
one message (it is edited in place), so its only free-text field, the prospect's message,
is shortened. Text that may be long anyway (staff answers, a kit without paging) is split
under Telegram's 4096 characters (:mod:`bot.handlers.telegram.html`).
"""

from __future__ import annotations

from bot.chat.results import Reply
from bot.delivery.notices import (
    DigestView,
    LeadCardView,
    MessageView,
    NoticeKind,
    NoticeView,
    TeaserView,
)
from bot.handlers.telegram import sales_kit
from bot.handlers.telegram.html import MAX_MESSAGE, SAFE_LENGTH, Outgoing, render, split_html
from bot.handlers.telegram.keyboards import claim_keyboard, status_keyboard
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.text import reply_text
from bot.reports.digest import digest_lines

__all__ = [
    "MAX_MESSAGE",
    "SAFE_LENGTH",
    "Outgoing",
    "render",
    "render_card",
    "render_content",
    "render_digest",
    "render_message",
    "render_teaser",
    "render_view",
    "reply_html",
    "reply_plain",
    "split_html",
]


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
        if sales_kit.ref_of(view) is not None:
            return [sales_kit.summary(view)]
        return [Outgoing(text) for text in render_content(view)]
    text = render("message.j2", view=view)
    return [Outgoing(part) for part in split_html([text])]


def render_content(view: MessageView) -> list[str]:
    """A content pack or update in full: a heading, then the items, in as few messages as
    fit (for a kit that cannot be paged: one not read back from the outbox)."""
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
