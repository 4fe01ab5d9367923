"""What the inbox holds and whom it hands a press to (no database, no platform)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Protocol


@dataclass(frozen=True)
class Press:
    """One button press as the inbox keeps it: only what deciding and answering it need.

    ``key`` identifies the delivery (its retries carry the same key); ``reply_to`` is where
    the presser's answer goes (Slack's ``response_url``, already checked to be Slack's), or
    None when there is none. ``id`` is the inbox row's, once stored.
    """

    key: str
    platform: str
    user_id: str
    action: str
    value: str
    reply_to: str | None = None
    id: int | None = None
    attempts: int = 1

    def stored(self, row_id: int) -> Press:
        return replace(self, id=row_id)


class Accepted(enum.StrEnum):
    """What became of a press handed to :meth:`~bot.inbox.PressInbox.accept`."""

    STORED = "stored"
    """Written to the inbox; it will be decided and answered."""
    REPEATED = "repeated"
    """A delivery seen before (a retry, a double delivery): nothing to do."""
    LATE = "late"
    """Not stored within the deadline; storing goes on, and the press is processed after."""


class PressHandler(Protocol):
    """The platform's side: decide a press and answer the presser."""

    async def handle(self, press: Press) -> None:
        """Decide ``press`` and tell the presser; raising leaves it in the inbox."""

    async def failed(self, press: Press, error: BaseException) -> None:
        """``press`` cannot be processed (stored too late and then failed, or it failed
        :data:`~bot.inbox.worker.MAX_ATTEMPTS` times): tell the presser to press again."""
