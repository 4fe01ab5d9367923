"""Commit-ordered change numbers for leads: what makes the read API's cursor safe.

A cursor over ``(updated_at, id)`` can skip a lead: transaction A stamps a lead at 10:00:00
and commits at 10:00:05; transaction B stamps another at 10:00:02 and commits at 10:00:03.
A client reading at 10:00:04 sees B, moves its cursor past 10:00:02, and never sees A's
lead. So every transaction that changes leads takes one number from the single-row
``lead_change_counter`` just before it commits and writes it to each lead it changed.
The counter row stays locked until the commit, so the next transaction gets its number
only after this one is visible: numbers follow commit order, and a reader that has seen
number *n* has seen everything numbered below *n*. On SQLite, writers are serialized
anyway (``BEGIN IMMEDIATE``); the counter costs one UPDATE there.

The counter is taken after the changed leads are flushed: each transaction holds its
leads' row locks before it waits for the counter, and touches no other lead afterwards,
so two transactions cannot wait for each other (no deadlock).

Changed leads are found by the session itself (``before_flush``: new or modified
``Lead`` objects), so no service has to remember to announce a change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.models import ChangeCounter, Lead

COUNTER_ID = 1


class LeadChanges:
    """The leads one unit of work changed; :meth:`stamp` numbers them before the commit."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._leads: dict[int, Lead] = {}
        self._new: set[int] = set()
        """The leads this unit of work created (by ``id()``, like ``_leads``)."""
        self._old: set[int] = set()
        """The keys of ``_leads`` not in ``_new``: kept as they change, so that
        :meth:`changed_existing`, asked for every lead, does not go through all the leads
        of a long unit of work (an import) each time."""
        session.sync_session.info[_INFO_KEY] = self

    def _before_flush(self, session: Session) -> None:
        for obj in session.new:
            if isinstance(obj, Lead):
                self._leads[id(obj)] = obj
                self._new.add(id(obj))
                self._old.discard(id(obj))
        for obj in session.dirty:
            if isinstance(obj, Lead) and session.is_modified(obj, include_collections=False):
                self.touch(obj)

    def touch(self, lead: Lead) -> None:
        """Count ``lead`` as changed even if only a bulk UPDATE changed its row."""
        key = id(lead)
        self._leads[key] = lead
        if key in self._new:
            return
        if inspect(lead).has_identity:
            self._old.add(key)
        else:  # not written yet (leads received together are written every so often)
            self._new.add(key)

    def forget(self) -> None:
        self._leads.clear()
        self._new.clear()
        self._old.clear()

    def is_new(self, lead: Lead) -> bool:
        """Whether this unit of work created ``lead`` (it has no history: no exclusions,
        no earlier offers)."""
        return id(lead) in self._new or inspect(lead).pending

    def changed_existing(self) -> bool:
        """Whether this unit of work changed a lead that existed before it, flushed or not.

        Intake only creates leads; a claim, close or hand-back changes existing ones. Caches
        keyed by the committed state (:func:`bot.directory.index_cache.partner_index`) are
        only valid for the first kind.
        """
        if self._old:
            return True
        return any(
            isinstance(obj, Lead) and id(obj) not in self._new
            for obj in self._session.sync_session.dirty
        )

    def _leave_updated_at_to_stamp(self, now: datetime) -> None:
        """Drop the pending ``updated_at`` of the stored leads about to be stamped.

        The stamp's own UPDATE writes ``updated_at`` (the commit's time) for every one of
        them; a flush writing the event's time first was a second UPDATE of the same row —
        the only one, for a lead whose other changes were already flushed (the wave event
        of intake)."""
        deleted = self._session.sync_session.deleted
        for lead in self._leads.values():
            if inspect(lead).persistent and lead not in deleted:
                set_committed_value(lead, "updated_at", now)

    async def stamp(self, now: datetime) -> int | None:
        """Number this transaction's changed leads and set their ``updated_at``; the number."""
        session = self._session
        self._leave_updated_at_to_stamp(now)
        await session.flush()
        leads = [lead for lead in self._leads.values() if lead in session]
        self._leads.clear()
        self._new.clear()  # committed from here on: no longer new to a later use of the uow
        self._old.clear()
        if not leads:
            return None
        seq = await next_change(session)
        # One UPDATE for all of them instead of a flush: the objects get the same values as
        # already written (so nothing is pending and nothing is read back).
        await session.execute(_STAMP, {"ids": [lead.id for lead in leads], "seq": seq, "now": now})
        for lead in leads:
            set_committed_value(lead, "change_seq", seq)
            set_committed_value(lead, "updated_at", now)
        return seq


_INFO_KEY = "leadbot_lead_changes"


@event.listens_for(Session, "before_flush")
def _before_any_flush(session: Session, _context: Any, _instances: Any) -> None:
    """One listener for every session, registered once: adding one per unit of work took
    about 3 % of a lead's intake in a profile (SQLAlchemy's event registry is slow to add
    to)."""
    changes = session.info.get(_INFO_KEY)
    if changes is not None:
        changes._before_flush(session)


_NEXT = (  # built once: every transaction that changes a lead runs it
    update(ChangeCounter)
    .where(ChangeCounter.id == COUNTER_ID)
    .values(value=ChangeCounter.value + 1)
    .returning(ChangeCounter.value)
    .execution_options(synchronize_session=False)
)


_STAMP = (
    update(Lead)
    .where(Lead.id.in_(bindparam("ids", expanding=True)))
    .values(change_seq=bindparam("seq"), updated_at=bindparam("now", type_=Lead.updated_at.type))
    .execution_options(synchronize_session=False)
)


async def next_change(session: AsyncSession) -> int:
    """Take the next change number (locks the counter row until the transaction ends)."""
    value = await session.scalar(_NEXT)
    if value is None:  # a schema made without the migration's first row
        await session.execute(insert(ChangeCounter).values(id=COUNTER_ID, value=1))
        return 1
    return int(value)
