"""Writing notices into the outbox, in the caller's transaction.

A notice is addressed to an audience; here it becomes one row per platform address that
audience has on the enabled platforms. The sender (``bot/delivery/sender.py``) delivers the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.notices import Audience, NoticeKind, ToPartner, ToRep, ToStaff
from bot.models import OutboxMessage, OutboxStatus, Partner, Platform, Rep

if TYPE_CHECKING:
    from bot.uow import UnitOfWork

CONSOLE_STAFF = "staff"


def console_partner_address(partner_id: str) -> str:
    return f"partner:{partner_id}"


def console_rep_address(rep_id: int) -> str:
    return f"rep:{rep_id}"


def partner_addresses(partner: Partner, platforms: Iterable[Platform]) -> dict[Platform, str]:
    out: dict[Platform, str] = {}
    for platform in platforms:
        if platform is Platform.SLACK and partner.slack_channel:
            out[platform] = partner.slack_channel
        elif platform is Platform.TELEGRAM and partner.telegram_chat_id:
            out[platform] = str(partner.telegram_chat_id)
        elif platform is Platform.CONSOLE:
            out[platform] = console_partner_address(partner.id)
    return out


def rep_addresses(rep: Rep, platforms: Iterable[Platform]) -> dict[Platform, str]:
    out: dict[Platform, str] = {}
    for platform in platforms:
        if platform is Platform.SLACK and rep.slack_user_id:
            out[platform] = rep.slack_user_id
        elif platform is Platform.TELEGRAM and rep.telegram_user_id:
            out[platform] = str(rep.telegram_user_id)
        elif platform is Platform.CONSOLE:
            out[platform] = console_rep_address(rep.id)
    return out


async def rep_at_address(session: AsyncSession, platform: Platform, address: str) -> Rep | None:
    """The rep a direct-message address belongs to (the inverse of :func:`rep_addresses`)."""
    if platform is Platform.CONSOLE:
        return await session.get(Rep, int(address.split(":", 1)[1]))
    if platform is Platform.SLACK:
        return await session.scalar(select(Rep).where(Rep.slack_user_id == address))
    return await session.scalar(select(Rep).where(Rep.telegram_user_id == int(address)))


class OutboxWriter:
    """Enqueues notices through a unit of work's session (same transaction)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def addresses(self, audience: Audience) -> dict[Platform, str]:
        platforms = self._uow.platforms
        session = self._uow.session
        if isinstance(audience, ToPartner):
            partner = await session.get(Partner, audience.partner_id)
            return partner_addresses(partner, platforms) if partner else {}
        if isinstance(audience, ToRep):
            rep = await session.get(Rep, audience.rep_id)
            if rep is None:
                return {}
            found = rep_addresses(rep, platforms)
            if audience.platform is not None and audience.platform in found:
                return {audience.platform: found[audience.platform]}
            return found
        assert isinstance(audience, ToStaff)
        staff = self._uow.settings
        out: dict[Platform, str] = {}
        if Platform.SLACK in platforms and staff.slack.staff_channel:
            out[Platform.SLACK] = staff.slack.staff_channel
        if Platform.TELEGRAM in platforms and staff.telegram.staff_chat_id:
            out[Platform.TELEGRAM] = str(staff.telegram.staff_chat_id)
        if Platform.CONSOLE in platforms:
            out[Platform.CONSOLE] = CONSOLE_STAFF
        return out

    async def enqueue(
        self,
        audience: Audience,
        kind: NoticeKind,
        payload: dict[str, Any] | None = None,
        *,
        lead_id: int | None = None,
    ) -> list[OutboxMessage]:
        rows = [
            OutboxMessage(
                platform=platform.value,
                address=address,
                kind=kind.value,
                payload=dict(payload or {}),
                lead_id=lead_id,
                next_attempt_at=self._uow.clock.now(),
                created_at=self._uow.clock.now(),
            )
            for platform, address in sorted((await self.addresses(audience)).items())
        ]
        self._uow.session.add_all(rows)
        if rows:
            self._uow.outbox_written = True
        return rows

    async def staff(self, event: str, lead_id: int | None = None, **params: Any) -> None:
        """Shorthand for the monitoring feed."""
        await self.enqueue(
            ToStaff(), NoticeKind.STAFF, {"event": event, "params": params}, lead_id=lead_id
        )

    async def rep(
        self,
        rep_id: int,
        kind: NoticeKind,
        event: str,
        lead_id: int | None = None,
        platform: Platform | None = None,
        **params: Any,
    ) -> None:
        await self.enqueue(
            ToRep(rep_id, platform), kind, {"event": event, "params": params}, lead_id=lead_id
        )


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
        uow.outbox_written = True  # wake the sender after the commit
    return Requeued(int(due or 0), int(held or 0))
