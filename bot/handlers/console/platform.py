"""The console as a platform: addresses are labels of in-process inboxes.

A partner's channel is ``partner:<id>``, a rep's direct messages ``rep:<id>``, the staff
feed ``staff``. A console user is a rep by e-mail (``as anna@…``) or ``staff``. Text is
shown in a terminal, so escaping drops control characters (ANSI escapes, bidi overrides).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import Settings
from bot.models import Partner, Platform, Rep
from bot.plaintext import strip_control

STAFF = "staff"
TEMPLATES_DIR = "templates"

escape_console = strip_control


def partner_address(partner_id: str) -> str:
    return f"partner:{partner_id}"


def rep_address(rep_id: int) -> str:
    return f"rep:{rep_id}"


class ConsolePlatform:
    platform = Platform.CONSOLE
    fallback = False
    server_module = None  # the console runs in `leadbot console`, not in a server

    def enabled(self, settings: Settings) -> bool:
        return settings.console.enabled

    def partner_address(self, partner: Partner) -> str | None:
        return partner_address(partner.id)

    def rep_address(self, rep: Rep) -> str | None:
        return rep_address(rep.id)

    def reaches(self, rep: Rep) -> bool:
        return True

    def staff_address(self, settings: Settings) -> str | None:
        return STAFF

    def rep_at(self, address: str) -> ColumnElement[bool] | None:
        kind, _, number = address.partition(":")
        return Rep.id == int(number) if kind == "rep" and number.isdigit() else None

    def user(self, user_id: str) -> ColumnElement[bool] | None:
        return Rep.email == user_id.strip().lower()

    def is_staff(self, user_id: str, settings: Settings) -> bool:
        return user_id == STAFF

    def account(self, user_id: str) -> tuple[InstrumentedAttribute[object], object] | None:
        return None

    def escape(self, text: str) -> str:
        return escape_console(text)


CONSOLE = ConsolePlatform()
