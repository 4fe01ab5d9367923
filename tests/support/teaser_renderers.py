"""Every platform's teaser rendering, for the privacy property test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.console.render import render_view
from bot.handlers.slack.blocks import teaser as slack_teaser
from bot.notices import TeaserView


def _slack(view: TeaserView) -> dict[str, Any]:
    """The whole message Slack gets: notification text and Block Kit blocks."""
    message = slack_teaser(view)
    return {"text": message.text, "blocks": message.blocks}


TEASER_RENDERERS: dict[str, Callable[[TeaserView], Any]] = {
    "console": render_view,
    "slack": _slack,
}
