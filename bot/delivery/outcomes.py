"""What became of a claimed outbox row, recorded right after the platform answered.

Each outcome is its own short transaction, written as soon as the answer is in: the window
in which a sent message is not yet marked is one answer wide. "Sent" marks go through a
group commit (:mod:`bot.delivery.groupcommit`); retries and failures, rare, one by one.
Every update is conditional on this process still holding the row (``claimed_by``): a
process whose lease ran out records nothing over the next holder's work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.groupcommit import GroupCommit
from bot.delivery.ledger import Claim
from bot.delivery.notices import Delivery, LeadCardView, MessageRef, NoticeKind, TeaserView
from bot.delivery.outbox import OutboxWriter, rep_at_address
from bot.delivery.retry import DELAY_ALERT_ATTEMPTS
from bot.models import ChatMessage, MessageKind, OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime
from bot.writegate import Turn

log = logging.getLogger(__name__)
_TO_PARTNER = (NoticeKind.TEASER.value, NoticeKind.TEASER_CLOSED.value)

Mark = tuple[Claim, MessageRef | None, Delivery]


_SENT = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id.in_(bindparam("ids", expanding=True, type_=OutboxMessage.id.type)),
        OutboxMessage.claimed_by == bindparam("holder", type_=OutboxMessage.claimed_by.type),
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("now", type_=OutboxMessage.sent_at.type),
        attempts=OutboxMessage.attempts + 1,
        locked_until=None,
        claimed_by=None,
        in_doubt=False,
        last_error=None,
    )
    .returning(OutboxMessage.id)
    .execution_options(synchronize_session=False)
)
"""Rows this process holds (``:holder``), sent: built once, as every send marks one."""


class Outcomes:
    """Records outcomes for the rows one process (``holder``) claimed."""

    def __init__(self, runtime: Runtime, holder: str) -> None:
        self.runtime = runtime
        self.holder = holder
        self._sent_marks: GroupCommit[Mark] = GroupCommit(self._write_sent)

    def _mine(self, ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
        return (
            OutboxMessage.id.in_(list(ids)),
            OutboxMessage.claimed_by == self.holder,
            OutboxMessage.status == OutboxStatus.PENDING,
        )

    async def sent(self, claim: Claim, ref: MessageRef | None, delivery: Delivery) -> None:
        """The platform took it: mark it (and the rows a summary stands for) sent.

        Returns once the mark is committed. Marks are written at once; the ones that come
        in while a commit is running share the next transaction (a group commit), so a
        fast platform costs about one transaction per message or less, and SQLite's
        single writer is not fought over by every send on its way.
        """
        await self._sent_marks.submit((claim, ref, delivery))

    async def _write_sent(self, marks: list[Mark]) -> None:
        now = self.runtime.clock.now()
        ids = [i for claim, _, _ in marks for i in claim.ids]
        async with self.runtime.uow(Turn.SENDER) as uow:
            params = {"ids": ids, "holder": self.holder, "now": now}
            marked = set((await uow.session.execute(_SENT, params)).scalars())
            lost = [c.row.id for c, _, _ in marks if c.row.id not in marked]
            if lost:
                log.warning(
                    "%d outbox row(s) were sent after their lease ran out (%s); another "
                    "sender may have sent them too",
                    len(lost),
                    ", ".join(str(i) for i in lost[:10]),
                )
            for claim, ref, delivery in marks:
                # Where a lost row's message went is the next holder's to remember: it may
                # find this very message when it checks a row in doubt, and two records of
                # one message break a unique constraint — its mark would never commit.
                if ref is not None and claim.row.id in marked:
                    await self._remember(uow.session, claim.row, ref, delivery)
            await uow.commit()

    async def skipped(self, ids: Sequence[int]) -> None:
        """Rows that became obsolete before their turn (a teaser of a lead already taken)."""
        if not ids:
            return
        async with self.runtime.uow(Turn.SENDER) as uow:
            await uow.session.execute(
                update(OutboxMessage)
                .where(*self._mine(ids))
                .values(
                    status=OutboxStatus.SKIPPED,
                    last_error="obsolete",
                    locked_until=None,
                    claimed_by=None,
                    in_doubt=False,
                )
                .execution_options(synchronize_session=False)
            )
            await uow.commit()

    async def retry(
        self,
        claim: Claim,
        *,
        error: str | None,
        retry_in: float,
        count_attempt: bool,
        in_doubt: bool,
    ) -> None:
        """Not sent this time: due again in ``retry_in`` seconds, in doubt or not."""
        now = self.runtime.clock.now()
        async with self.runtime.uow() as uow:
            row = await self._row(uow.session, claim)
            if row is None:
                return
            row.locked_until = None
            row.claimed_by = None
            row.in_doubt = in_doubt
            row.next_attempt_at = now + timedelta(seconds=retry_in)
            if count_attempt:
                row.attempts += 1
                row.last_error = error
                if row.attempts == DELAY_ALERT_ATTEMPTS and not self._is_staff(row):
                    await self._alert_delay(uow.session, uow.outbox, row, error or "")
            await self._release_followers(uow.session, claim)
            await uow.commit()

    async def failed(self, claim: Claim, error: str) -> None:
        """A permanent error: kept as failed, staff are told."""
        async with self.runtime.uow() as uow:
            row = await self._row(uow.session, claim)
            if row is None:
                return
            row.status = OutboxStatus.FAILED
            row.attempts += 1
            row.last_error = error
            row.locked_until = None
            row.claimed_by = None
            if not self._is_staff(row):
                await uow.outbox.staff(
                    "delivery_failed", lead_id=row.lead_id, platform=row.platform, error=error
                )
            await self._release_followers(uow.session, claim)
            await uow.commit()

    async def _alert_delay(
        self, session: AsyncSession, outbox: OutboxWriter, row: OutboxMessage, error: str
    ) -> None:
        """Still retrying (e.g. a rep who never opened the chat with the bot): staff hear of
        it once, while the notice keeps waiting. If the same notice already reached its
        reader on another platform (the e-mail fallback of a rep whose Telegram chat is not
        open), it is not delayed: staff are told where it went and what still waits."""
        sent_on = await self._sent_elsewhere(session, row)
        event = "delivery_waiting" if sent_on else "delivery_delayed"
        params = {"platform": row.platform, "error": error}
        if sent_on:
            params["sent_on"] = ", ".join(sent_on)
        await outbox.staff(event, lead_id=row.lead_id, **params)

    @staticmethod
    async def _sent_elsewhere(session: AsyncSession, row: OutboxMessage) -> list[str]:
        """The platforms on which ``row``'s notice to a rep was sent. One notice's rows are
        written by one ``enqueue``: same lead, kind, lane, turn and time, one per platform.
        Not for a partner's notices: its channel, group and inbox are different readers."""
        if row.lead_id is None or row.kind in _TO_PARTNER:
            return []
        query = select(OutboxMessage.platform).where(
            OutboxMessage.lead_id == row.lead_id,
            OutboxMessage.kind == row.kind,
            OutboxMessage.lane == row.lane,
            OutboxMessage.turn == row.turn,
            OutboxMessage.created_at == row.created_at,
            OutboxMessage.platform != row.platform,
            OutboxMessage.status == OutboxStatus.SENT,
        )
        return sorted(set((await session.scalars(query)).all()))

    async def _row(self, session: AsyncSession, claim: Claim) -> OutboxMessage | None:
        row = await session.get(OutboxMessage, claim.row.id)
        if row is None or row.claimed_by != self.holder or row.status is not OutboxStatus.PENDING:
            log.warning("outbox %s: lease lost before its outcome was recorded", claim.row.id)
            return None
        return row

    async def _release_followers(self, session: AsyncSession, claim: Claim) -> None:
        if claim.followers:
            await session.execute(
                update(OutboxMessage)
                .where(*self._mine([f.id for f in claim.followers]))
                .values(claimed_by=None, locked_until=None)
                .execution_options(synchronize_session=False)
            )

    @staticmethod
    def _is_staff(row: OutboxMessage) -> bool:
        return row.kind in (NoticeKind.STAFF.value, NoticeKind.DIGEST.value)

    async def _remember(
        self, session: AsyncSession, row: OutboxMessage, ref: MessageRef, delivery: Delivery
    ) -> None:
        """Keep where a teaser or lead card went, so it can be edited later."""
        view = delivery.view
        if isinstance(view, LeadCardView) and view.taken_off:
            await self._retire(session, row, delivery.edit)
            return
        if delivery.edit is not None and ref == delivery.edit:
            return  # edited in place: the stored reference is still right
        if isinstance(view, TeaserView):
            session.add(
                ChatMessage(
                    platform=row.platform,
                    chat_id=ref.chat_id,
                    message_id=ref.message_id,
                    kind=MessageKind.TEASER,
                    lead_id=view.lead_id,
                    offer_id=view.offer_id,
                )
            )
        elif isinstance(view, LeadCardView):
            rep = await rep_at_address(session, Platform(row.platform), row.address)
            session.add(
                ChatMessage(
                    platform=row.platform,
                    chat_id=row.address,
                    message_id=ref.message_id,
                    kind=MessageKind.LEAD_CARD,
                    lead_id=view.lead_id,
                    rep_id=rep.id if rep else None,
                )
            )

    @staticmethod
    async def _retire(session: AsyncSession, row: OutboxMessage, edited: MessageRef | None) -> None:
        """A card taken off its rep (handed back, recalled, taken over, erased) is no live
        card any more: its record loses the rep, so nothing edits it again — a colleague's
        card kept current (:func:`bot.leads.cards.edit_colleague_cards`) would otherwise bring
        the prospect back onto the card of a rep it was taken from, who is still at the
        partner. A message sent instead of the edit (e-mail, a card deleted) is not kept."""
        if edited is None:
            return
        await session.execute(
            update(ChatMessage)
            .where(
                ChatMessage.platform == row.platform,
                ChatMessage.chat_id == edited.chat_id,
                ChatMessage.message_id == edited.message_id,
                ChatMessage.kind == MessageKind.LEAD_CARD,
            )
            .values(rep_id=None)
            .execution_options(synchronize_session=False)
        )
