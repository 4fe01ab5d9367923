"""Writing notices into the outbox, in the caller's transaction.

A notice is addressed to an audience; here it becomes one row per platform address that
audience has on the enabled platforms. Where an audience is on a platform is each
platform's own business (:class:`bot.platform.ChatPlatform`); this module only asks. The
sender (``bot/delivery/sender.py``) delivers the rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.delivery.lanes import lane_of
from bot.delivery.notices import Audience, NoticeKind, ToPartner, ToRep, ToStaff
from bot.handlers import registry
from bot.models import Lead, OutboxMessage, Partner, Platform, Rep
from bot.platform import ChatPlatform
from bot.unwritten import any_unwritten


def rep_addresses(rep: Rep, chats: Mapping[Platform, ChatPlatform]) -> dict[Platform, str]:
    """Where direct messages to ``rep`` go on the given platforms.

    A fallback platform (e-mail) is used only while none of the others reaches the rep —
    a rep with no chat account, or whose Telegram private chat is not open yet.
    """
    found = {
        platform: address
        for platform, chat in chats.items()
        if not chat.fallback and (address := chat.rep_address(rep))
    }
    if not any(chats[platform].reaches(rep) for platform in found):
        for platform, chat in chats.items():
            if chat.fallback and (address := chat.rep_address(rep)):
                found[platform] = address
    return found


async def rep_at_address(session: AsyncSession, platform: Platform, address: str) -> Rep | None:
    """The rep a direct-message address belongs to (the inverse of :func:`rep_addresses`)."""
    condition = registry.get(platform).rep_at(address)
    if condition is None:
        return None
    return await session.scalar(select(Rep).where(condition))


_OUTBOX = OutboxMessage.__table__


class IdOf:
    """A payload value: the id of a row that was added but may not be flushed yet.

    Read when the notice is written, after a flush. A wave's teasers name their offers;
    with this, intake need not flush the offers to learn their ids: they are written
    with everything else the lead changed (one flush less per lead)."""

    __slots__ = ("row",)

    def __init__(self, row: Any) -> None:
        self.row = row


class OutboxWriter:
    """Enqueues notices through one transaction's session."""

    def __init__(
        self,
        session: AsyncSession,
        chats: Mapping[Platform, ChatPlatform],
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._session = session
        self._chats = chats
        self._settings = settings
        self._clock = clock
        self.written = False
        """Whether rows were queued (the sender is woken after the commit)."""
        self._turns: dict[tuple[int | None, int], int] = {}
        self._groups = 0
        self._held: list[dict[str, Any]] = []
        self._partners: dict[str, Partner] = {}
        """The partners read so far. The session's identity map holds objects weakly: a
        partner nothing else refers to was gone again by the next teaser to it, and read
        anew for each (a statement per lead of an import). Kept here, it stays."""

    @contextlib.asynccontextmanager
    async def grouped(self) -> AsyncIterator[None]:
        """Hold the rows enqueued inside and insert them in one statement at the end.

        A lead's intake queues three notices or more (new lead, teasers, offered); a batch
        of leads many times that, and each was an INSERT of its own. Only for work that
        does not read the outbox back before the group ends. Groups nest: the outermost
        one writes. If the body raises, the rows stay held: :meth:`write_held` (called by
        the commit) writes them, a rollback forgets them."""
        self._groups += 1
        try:
            yield
        except BaseException:
            self._groups -= 1
            raise
        self._groups -= 1
        if not self._groups:
            await self.write_held()

    async def write_held(self) -> None:
        """Insert the rows a group held back (before the commit, and at a group's end)."""
        rows, self._held = self._held, []
        if rows:
            await self._insert(rows)

    def forget(self) -> None:
        """Drop held rows (the transaction was rolled back)."""
        self._held = []
        self.written = False

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        session = self._session
        if any(isinstance(v, IdOf) for row in rows for v in row["payload"].values()):
            await session.flush()  # the rows named get their ids
            for row in rows:
                payload = row["payload"]
                row["payload"] = {
                    k: v.row.id if isinstance(v, IdOf) else v for k, v in payload.items()
                }
        # The rows refer to nothing but their lead: unless a lead is waiting to be
        # stored, the other pending changes need not be flushed before them.
        waiting = any_unwritten(session, Lead)
        with contextlib.nullcontext() if waiting else session.no_autoflush:
            await session.execute(insert(_OUTBOX), rows)
        self.written = True

    def _lookup(self) -> contextlib.AbstractContextManager[Any]:
        """Reading a partner or rep flushes nothing, unless one is waiting to be stored.

        What else is pending (a lead's offers and events) does not change the addresses;
        flushing it here, between a wave's teasers, was a flush per lead."""
        if any_unwritten(self._session, Partner, Rep):
            return contextlib.nullcontext()
        return self._session.no_autoflush

    async def load_partners(self, partner_ids: list[str]) -> None:
        """Read these partners in one statement, so that enqueueing a notice to each of
        them (a wave's teasers) finds them in the session instead of one read apiece."""
        missing = [pid for pid in partner_ids if pid not in self._partners]
        if len(missing) > 1:
            with self._lookup():
                query = select(Partner).where(Partner.id.in_(missing))
                for partner in (await self._session.scalars(query)).all():
                    self._partners[partner.id] = partner

    async def addresses(self, audience: Audience) -> dict[Platform, str]:
        chats = self._chats
        if isinstance(audience, ToPartner):
            with self._lookup():
                partner = await self._session.get(Partner, audience.partner_id)
            if partner is None:
                return {}
            self._partners[partner.id] = partner
            return {
                platform: address
                for platform, chat in chats.items()
                if (address := chat.partner_address(partner))
            }
        if isinstance(audience, ToRep):
            with self._lookup():
                rep = await self._session.get(Rep, audience.rep_id)
            if rep is None:
                return {}
            if audience.platform is not None and audience.platform in chats:
                narrowed = rep_addresses(rep, {audience.platform: chats[audience.platform]})
                if narrowed and chats[audience.platform].reaches(rep):
                    return narrowed
                # The platform they used cannot write to them yet: add the fallback too.
                fallbacks = {p: c for p, c in chats.items() if c.fallback}
                found = {**narrowed, **rep_addresses(rep, fallbacks)}
                if audience.or_elsewhere and not any(chats[p].reaches(rep) for p in found):
                    return {**found, **rep_addresses(rep, chats)}
                return found
            return rep_addresses(rep, chats)
        assert isinstance(audience, ToStaff)
        return {
            platform: address
            for platform, chat in chats.items()
            if (address := chat.staff_address(self._settings))
        }

    async def enqueue(
        self,
        audience: Audience,
        kind: NoticeKind,
        payload: dict[str, Any] | None = None,
        *,
        lead_id: int | None = None,
    ) -> int:
        """Queue the notice for every address of ``audience``; how many rows that made.

        The rows are inserted at once with a plain INSERT, not as ORM objects: nothing in
        the transaction reads them back as objects, and as ones each took its own INSERT
        with RETURNING in a flush (a third of a lead's intake rows)."""
        now: datetime = self._clock.now()
        lane = int(lane_of(kind.value))
        # Its turn among the notices of this lead and lane queued in this transaction (a
        # wave's teasers are 1, 2, 3, ...): the sender interleaves leads by it.
        turn = self._turns[(lead_id, lane)] = self._turns.get((lead_id, lane), 0) + 1
        rows = [
            {
                "platform": platform.value,
                "address": address,
                "kind": kind.value,
                "lane": lane,
                "turn": turn,
                "payload": dict(payload or {}),
                "lead_id": lead_id,
                "next_attempt_at": now,
                "created_at": now,
            }
            for platform, address in sorted((await self.addresses(audience)).items())
        ]
        if self._groups:
            self._held.extend(rows)
        elif rows:
            await self._insert(rows)
        return len(rows)

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
        or_elsewhere: bool = False,
        **params: Any,
    ) -> None:
        await self.enqueue(
            ToRep(rep_id, platform, or_elsewhere),
            kind,
            {"event": event, "params": params},
            lead_id=lead_id,
        )
