"""Telegram: teasers with an inline Claim button in partner groups, the lead card and status
buttons in the rep's private chat, deep-link onboarding. See docs/telegram.md."""

from bot.handlers.telegram.app import contribute

__all__ = ["contribute"]
