"""The small interface every chat platform implements for the outbox sender.

Like Zulip's bot handler protocol: the core depends only on this, and there is a real
implementation per platform (Slack, Telegram), a terminal one (the console) and the
emulator-backed ones used in tests — all going through the same sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.delivery.notices import Delivery, MessageRef
from bot.models.enums import Platform


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: at most ``per_second`` on average, ``burst`` at once.

    ``shared``: the bucket is the whole platform's (Telegram's global limit, Slack's
    workspace ceiling, one SMTP server), not one address's. When a shared bucket is empty
    the sender stops asking for that platform until it refills; when an address's bucket
    is empty only that address waits.
    """

    bucket: str
    per_second: float
    burst: int
    shared: bool = False


class DeliveryError(Exception):
    """Sending failed. ``retry_after`` (seconds) when the platform said when to retry.

    ``maybe_sent`` says whether the platform may have taken the message all the same: True
    after a timeout or a lost connection, False after a clear refusal, None when this
    attempt says nothing new (an earlier attempt's doubt stays). A row left in doubt is
    checked on the platform before it is sent again, where the platform allows it.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        maybe_sent: bool | None = None,
    ):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.maybe_sent = maybe_sent


class Transport(Protocol):
    platform: Platform

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        """The buckets a message to ``address`` must take a token from (``edit``: the
        notice changes a message already posted, which platforms limit differently)."""
        ...

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        """Post (or, if ``delivery.edit`` is set, edit) the message; return where it is.

        Raise :class:`DeliveryError` on failure; anything else counts as retryable too.
        If the platform accepted the message but its answer cannot be read, return None
        (the reference is unknown) and log it: that is a sent message, never a failure.
        ``delivery.in_doubt``: an earlier attempt may have got through; a platform that can
        look (Slack) finds that message and returns it instead of posting again.
        """
        ...
