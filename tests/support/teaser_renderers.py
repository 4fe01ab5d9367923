"""Every platform's teaser rendering, for the privacy property test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.delivery.notices import TeaserView
from bot.handlers.console.render import render_view
from bot.handlers.email.links import Link, Purpose, link_url, sign
from bot.handlers.email.render import Links
from bot.handlers.email.render import render_view as render_email
from bot.handlers.slack.blocks import teaser as slack_teaser
from bot.handlers.telegram.render import render_teaser


def _slack(view: TeaserView) -> dict[str, Any]:
    """The whole message Slack gets: notification text and Block Kit blocks."""
    message = slack_teaser(view)
    return {"text": message.text, "blocks": message.blocks}


def telegram_teaser(view: TeaserView) -> dict[str, Any]:
    """The message as sent: HTML text and the inline keyboard (button texts and data)."""
    message = render_teaser(view)
    buttons = [[b.text, b.data, b.url] for row in message.keyboard for b in row]
    return {"text": message.text, "keyboard": buttons}


def email_teaser(view: TeaserView) -> dict[str, Any]:
    """The whole mail: subject, text part and HTML part, with a real signed Claim link
    (a fixed nonce, so the random part of a token cannot spell a secret by chance)."""
    expires = datetime(2026, 3, 3, tzinfo=UTC)
    link = Link(Purpose.CLAIM, view.offer_id, "P-1", expires, "fixed-test-nonce")
    token = sign(link, "s" * 40)
    mail = render_email(view, Links(claim=link_url("https://leadbot.example", token)))
    return {"subject": mail.subject, "text": mail.text, "html": mail.html}


TEASER_RENDERERS: dict[str, Callable[[TeaserView], Any]] = {
    "console": render_view,
    "slack": _slack,
    "telegram": telegram_teaser,
    "email": email_teaser,
}
