"""Every platform's teaser rendering, for the privacy property test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.delivery.notices import TeaserView
from bot.handlers.console.render import render_view
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


TEASER_RENDERERS: dict[str, Callable[[TeaserView], Any]] = {
    "console": render_view,
    "slack": _slack,
    "telegram": telegram_teaser,
}
