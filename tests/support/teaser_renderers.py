"""Every platform's teaser rendering, for the privacy property test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.console.render import render_view
from bot.notices import TeaserView

TEASER_RENDERERS: dict[str, Callable[[TeaserView], Any]] = {
    "console": render_view,
}
