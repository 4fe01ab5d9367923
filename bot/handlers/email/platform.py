"""E-mail as a platform: addresses are e-mail addresses, and it is only a fallback for reps.

A partner's teasers go to its lead inbox (``partners.email``) until it unsubscribes; a
rep's direct messages to ``reps.email`` — but only while no chat platform reaches the rep
(no chat account, or a Telegram private chat not started yet): e-mail is ``fallback``, and
the outbox writer asks it last. There is no staff feed by e-mail (staff watch the chats),
no account linking (a rep *is* their e-mail address) and no staff user. Text is
HTML-escaped for the HTML part.
"""

from __future__ import annotations

import html

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import Settings
from bot.models import Partner, Platform, Rep
from bot.plaintext import strip_control


def escape_html(value: str) -> str:
    """HTML text and attribute values (quotes too), without control characters."""
    return html.escape(strip_control(value), quote=True)


def normalise_address(address: str) -> str:
    """E-mail addresses are stored lower-case (directory import); compare them that way."""
    return address.strip().lower()


class EmailPlatform:
    platform = Platform.EMAIL
    fallback = True
    server_module = "bot.handlers.email.app"

    def enabled(self, settings: Settings) -> bool:
        return settings.email.enabled

    def partner_address(self, partner: Partner) -> str | None:
        """The lead inbox, unless it asked for no more teaser mails (its unsubscribe link,
        :mod:`bot.handlers.email.unsubscribe`): then the partner's teasers go only to its
        chats. Partner notices are teasers alone, so this stops nothing else."""
        if not partner.email or partner.email_teasers_stopped_at is not None:
            return None
        return normalise_address(partner.email)

    def rep_address(self, rep: Rep) -> str | None:
        return normalise_address(rep.email) if rep.email else None

    def reaches(self, rep: Rep) -> bool:
        return True  # a mail is delivered whether or not the rep is looking

    def staff_address(self, settings: Settings) -> str | None:
        return None

    def rep_at(self, address: str) -> ColumnElement[bool] | None:
        return Rep.email == normalise_address(address)

    def user(self, user_id: str) -> ColumnElement[bool] | None:
        return self.rep_at(user_id)

    def is_staff(self, user_id: str, settings: Settings) -> bool:
        return False

    def account(self, user_id: str) -> tuple[InstrumentedAttribute[object], object] | None:
        return None

    def escape(self, text: str) -> str:
        return escape_html(text)


EMAIL = EmailPlatform()
