"""Slack as a platform: channel ids for partners and staff, user ids for direct messages.

A partner's teasers go to its ``slack_channel``; a rep's direct messages to their Slack
user id (the transport opens the DM channel); the staff feed to ``[slack] staff_channel``.
Staff are the user ids in ``[staff] slack_users``. Text is Slack mrkdwn, where ``&``,
``<`` and ``>`` are the control characters (``<!channel>``, links, mentions).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import Settings
from bot.models import Partner, Platform, Rep
from bot.plaintext import strip_control


def escape_slack(value: str) -> str:
    """Slack mrkdwn: ``&``, ``<``, ``>`` are the control characters (``<!channel>``, links)."""
    return strip_control(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackPlatform:
    platform = Platform.SLACK
    fallback = False
    server_module = "bot.handlers.slack.app"

    def enabled(self, settings: Settings) -> bool:
        return settings.slack.enabled

    def partner_address(self, partner: Partner) -> str | None:
        return partner.slack_channel or None

    def rep_address(self, rep: Rep) -> str | None:
        return rep.slack_user_id or None

    def reaches(self, rep: Rep) -> bool:
        return bool(rep.slack_user_id)

    def staff_address(self, settings: Settings) -> str | None:
        return settings.slack.staff_channel or None

    def rep_at(self, address: str) -> ColumnElement[bool] | None:
        return Rep.slack_user_id == address

    def user(self, user_id: str) -> ColumnElement[bool] | None:
        return Rep.slack_user_id == user_id

    def is_staff(self, user_id: str, settings: Settings) -> bool:
        return user_id in settings.staff.slack_users

    def account(self, user_id: str) -> tuple[InstrumentedAttribute[object], object] | None:
        if not user_id.strip():
            raise ValueError("not a Slack user id: ''")
        return Rep.slack_user_id, user_id.strip()

    def escape(self, text: str) -> str:
        return escape_slack(text)


SLACK = SlackPlatform()
