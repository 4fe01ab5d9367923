"""Many leads received in one transaction, written to the database together.

Received one by one, a lead costs two flushes: one to learn its id, one (the next lead's
look-up) to write its personal data, events, offer and timer before the next look-up
reads them. In an import or a batch of API leads that was half the CPU per lead. Here the
ids are taken in advance, what the next lead's look-ups would have read back is answered
from memory, and everything is written in one flush per :data:`FLUSH_EVERY` leads — with
the same outcome, lead by lead, as receiving them one after the other
(``tests/test_intake_together.py`` compares the two).

What the next lead would have read back, and where it is answered instead:

* the same ``external_id``, the same contact e-mail or company domain as a lead received
  earlier in the batch: :meth:`LeadsTogether.known`, which asks the database about the
  next hundred leads in one statement (:class:`bot.intake.lookups.KnownMany`);
* the offers made earlier in the batch (fairness counts each partner's recent offers):
  :func:`bot.directory.recent.recent_activity` adds the unwritten ones.

Ids: on PostgreSQL taken from the leads' sequence, as many at once as the batch still
needs (an id not used — a lead already stored — is a gap, as after a rollback). On SQLite
the transaction holds the write lock from its first statement (``BEGIN IMMEDIATE``), so
nobody else adds a lead meanwhile: the ids are the next ones after the largest stored,
which is what SQLite itself would have given.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, text

from bot.intake.lookups import Known, KnownMany, contact_keys
from bot.intake.schema import LeadIn
from bot.models import Lead, LeadPersonalData
from bot.uow import UnitOfWork

FLUSH_EVERY = 100
"""Leads written per flush: bounds what the session holds unwritten (and what the look-ups
that answer from memory go through) in a long import."""

_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, :n)"
)
_LARGEST_ID = select(func.max(Lead.id))


class LeadsTogether:
    """The leads of one transaction (``leads``, in the order they are received)."""

    def __init__(self, uow: UnitOfWork, leads: Sequence[LeadIn]) -> None:
        self.uow = uow
        self._leads = leads
        self._position = 0
        """Where in ``leads`` the next lead to be looked up probably is."""
        self._stored = KnownMany(uow)
        self._ids: list[int] = []
        self._largest: int | None = None
        self._received = 0
        self._unwritten = 0
        self._external_ids: dict[str, Lead] = {}
        self._contacts: dict[tuple[str, str], int] = {}

    async def known(self, data: LeadIn) -> Known:
        """What :func:`bot.intake.lookups.known_one` would find for ``data`` now: in the
        database (asked for the next hundred leads at once), or among this batch's leads."""
        if not self._stored.covers(data):
            await self._stored.load(self._upcoming(data))
        stored = self._stored.known(data)
        existing = stored.existing
        if existing is None and data.external_id in self._external_ids:
            lead = self._external_ids[data.external_id]
            existing = (lead.id, lead.status)
        email, domain = contact_keys(data)
        earlier = [
            lead_id
            for key in (("email", email), ("domain", domain))
            if key[1] and (lead_id := self._contacts.get(key)) is not None  # type: ignore[arg-type]
        ]
        if stored.duplicate_of is not None:
            earlier.append(stored.duplicate_of)
        return Known(
            existing,
            stored.erased_external_id,
            stored.erased_email,
            min(earlier) if earlier else None,
        )

    def _upcoming(self, data: LeadIn) -> Sequence[LeadIn]:
        """``data`` and the leads after it, up to a flush's worth."""
        leads = self._leads
        for at in range(self._position, len(leads)):
            if leads[at] is data:
                self._position = at
                return leads[at : at + FLUSH_EVERY]
        return [data]

    async def next_id(self) -> int:
        """The id of the next lead (not flushed: nothing is read back to learn it)."""
        session = self.uow.session
        if session.sync_session.get_bind().dialect.name == "sqlite":
            if self._largest is None:
                with session.no_autoflush:
                    self._largest = (await session.scalar(_LARGEST_ID)) or 0
            self._largest += 1
            return self._largest
        if not self._ids:
            wanted = max(1, len(self._leads) - self._received)
            with session.no_autoflush:
                taken = (await session.scalars(_NEXT_IDS, {"n": wanted})).all()
            # Ascending, as one by one: the first of two duplicates has the smaller id.
            self._ids = sorted(taken, reverse=True)
        return self._ids.pop()

    async def received(self, lead: Lead, personal: LeadPersonalData) -> None:
        """``lead`` was stored (unflushed): later look-ups see it; write every few leads."""
        self._received += 1
        if lead.external_id:
            self._external_ids[lead.external_id] = lead
        for key in (("email", personal.contact_email), ("domain", personal.domain)):
            if key[1]:
                self._contacts.setdefault(key, lead.id)  # type: ignore[arg-type]
        self._unwritten += 1
        if self._unwritten >= FLUSH_EVERY:
            self._unwritten = 0
            await self.uow.session.flush()
