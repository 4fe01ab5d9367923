"""Making a waiting address due now: for when a platform says it can be reached again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from bot.models import OutboxMessage, OutboxStatus, Platform
from bot.uow import UnitOfWork


@dataclass(frozen=True)
class Requeued:
    """What :func:`requeue_address` did: rows made due now, and rows a sender holds."""

    due_now: int
    in_flight: int


async def requeue_address(uow: UnitOfWork, platform: Platform, address: str) -> Requeued:
    """Make every pending row for one platform address due now.

    For when the platform says the address can be reached again (a Telegram rep opened
    the private chat with the bot): rows waiting out a long retry backoff go at once, in
    their original order. Rows a sender is sending right now are left to it; if one of
    those fails, its retry is scheduled after this call, so a caller that sees
    ``in_flight`` should call again once they are done. The caller commits (the sender is
    woken after the commit).
    """
    now = uow.clock.now()
    mine = (
        OutboxMessage.platform == platform.value,
        OutboxMessage.address == address,
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    free = or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)
    result = await uow.session.execute(
        update(OutboxMessage)
        .where(*mine, OutboxMessage.next_attempt_at > now, free)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    due = await uow.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(*mine, free)
    )
    held = await uow.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(*mine, ~free)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        uow.outbox.written = True  # wake the sender after the commit
    return Requeued(int(due or 0), int(held or 0))
