"""A lead about to be changed is read with its row locked (PostgreSQL).

Only the claim changes a lead with one conditional ``UPDATE``. Every other change — a wave
running out, an SLA reminder or recall, staff assigning, releasing or recalling, a rep
reporting progress or declining — reads the lead, decides from its status, and writes it
back. On PostgreSQL (``READ COMMITTED``) two such transactions could both read the old
status: a wave expiry that read "offered" just before a claim committed marked the claimed
lead "unclaimed", an SLA recall undid a "won" reported a moment before. Read ``FOR
UPDATE``, the later one waits for the earlier one and decides on what it committed.

On SQLite every write transaction holds the database's one write lock from its ``BEGIN``
(:mod:`bot.db`), so they never overlap; SQLAlchemy leaves ``FOR UPDATE`` out there.

Lock order: the lead first, then its offers and timers — the order of the claim's
``UPDATE`` too — so two of these transactions cannot deadlock.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Lead


async def lead_for_update(session: AsyncSession, lead_id: int) -> Lead | None:
    """The lead as committed now, its row locked until this transaction ends.

    ``populate_existing``: a lead this session read before is refreshed, not trusted."""
    return await session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
