"""The one protocol a chat platform implements for the core — like Zulip's bot handler.

Everything platform-specific lives in a package under ``bot/handlers/`` (``console``,
``slack``, ``telegram``, ``email``); the core only sees this small interface. A platform
says whether it is switched on, where a partner's channel, a rep's direct messages and
the staff feed are on it (addressing, for the outbox), which rep a platform user or an
address belongs to (identity), how user text is escaped for it, and which module adds its
transport, routes and background jobs to a server process. ``bot/handlers/registry.py``
lists the platforms; adding one is a new package and one line there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import Settings
from bot.models import Partner, Platform, Rep

Escape = Callable[[str], str]


class ChatPlatform(Protocol):
    platform: Platform
    fallback: bool
    """True for a platform that reaches a rep only when no other platform does (e-mail):
    a rep gets a direct message there only while none of the others can deliver one."""
    server_module: str | None
    """Module with ``contribute(runtime, parts)`` for ``leadbot serve``; None if nothing."""

    def enabled(self, settings: Settings) -> bool:
        """Whether notices are queued for this platform."""
        ...

    # --- addressing (the outbox) ---------------------------------------------------------

    def partner_address(self, partner: Partner) -> str | None:
        """The partner's shared channel here (teasers), if it has one."""
        ...

    def rep_address(self, rep: Rep) -> str | None:
        """Where a direct message to the rep goes here, if the rep has an account."""
        ...

    def reaches(self, rep: Rep) -> bool:
        """Whether a direct message to the rep here arrives now (not only once they act)."""
        ...

    def staff_address(self, settings: Settings) -> str | None:
        """The staff feed here, if one is configured."""
        ...

    def rep_at(self, address: str) -> ColumnElement[bool] | None:
        """A condition on ``Rep`` for the rep whose direct messages go to ``address``."""
        ...

    # --- identity --------------------------------------------------------------------------

    def user(self, user_id: str) -> ColumnElement[bool] | None:
        """A condition on ``Rep`` for the rep linked to this platform user (None: no rep)."""
        ...

    def is_staff(self, user_id: str, settings: Settings) -> bool:
        """Whether this platform user is one of the manufacturer's staff."""
        ...

    def account(self, user_id: str) -> tuple[InstrumentedAttribute[object], object] | None:
        """For linking by invitation code: the ``Rep`` column and the value to store; None
        when accounts on this platform are not linked by code. Raises ValueError for an
        id that is no account of this platform."""
        ...

    # --- text -------------------------------------------------------------------------------

    def escape(self, text: str) -> str:
        """User or lead text made safe for this platform's message format."""
        ...


def claim_platform(claimed_via: str | None) -> Platform | None:
    """The platform a lead was claimed on, where its owner works it: reminders, news and
    sales content for the lead go there (None: unknown — to every platform of the rep)."""
    try:
        return Platform(claimed_via) if claimed_via else None
    except ValueError:
        return None
