"""The Slack app: teasers with a Claim button, the DM lead card, status buttons and modals,
App Home, ``/leads`` and the staff feed. ``docs/slack.md`` explains setup and behaviour."""

from bot.handlers.slack.app import contribute

__all__ = ["contribute"]
