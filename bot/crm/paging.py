"""Paging through changed leads: a keyset cursor over ``(change_seq, id)``.

``change_seq`` follows commit order (:mod:`bot.crm.changes`), so a cursor never moves past
a change that is not visible yet: no lead is skipped, however long a concurrent
transaction runs, and a lead changed while a client pages moves behind the cursor and
shows up once more, with its new state — which is what a change feed should do.

A cursor is the position after the last lead of a page, written ``<change>.<id>``; any
such pair is a valid position, so a client can keep the last ``next_cursor`` and ask
again later for what changed since.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChangeCounter, Lead

CURSOR_PATTERN = r"^[0-9]{1,18}\.[0-9]{1,18}$"
_CURSOR = re.compile(CURSOR_PATTERN)
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_END = 10**18 - 1  # above every id: "after everything with this change number"


@dataclass(frozen=True)
class Position:
    change: int
    id: int

    def __str__(self) -> str:
        return f"{self.change}.{self.id}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """Raises ValueError for anything but ``<change>.<id>``."""
        if not _CURSOR.match(text):
            raise ValueError("not a cursor: use the next_cursor of an earlier page")
        change, lead_id = text.split(".")
        return cls(int(change), int(lead_id))


class CursorAhead(Exception):
    """A cursor past every change this database has made: it was not issued here."""


@dataclass(frozen=True)
class Page:
    leads: list[Lead]
    next_cursor: Position
    has_more: bool


async def changed_leads(
    session: AsyncSession, since: datetime | None, after: Position | None, limit: int
) -> Page:
    """Leads changed at or after ``since``, after the cursor, in commit order.

    Raises :class:`CursorAhead` for a cursor beyond the latest change: it comes from
    another database (staging, one restored from a backup), and answering it with empty
    pages would skip every change up to its number without a word."""
    # Read before the leads: every change committed after this read has a higher number,
    # so an empty first page can point past exactly what it has seen.
    last = await session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1))
    if after is not None and after.change > int(last or 0):
        raise CursorAhead(
            f"cursor: this cursor is ahead of every change here (the latest is {int(last or 0)}): "
            "it was not issued by this leadbot's database (another installation, or one "
            "restored from a backup); start again with updated_since"
        )
    query = select(Lead)
    if since is not None:
        query = query.where(Lead.updated_at >= since)
    if after is not None:
        query = query.where(tuple_(Lead.change_seq, Lead.id) > tuple_(after.change, after.id))
    elif since is not None:
        # Start at the first change that can qualify (via the updated_at index) instead of
        # walking every older change.
        first = await session.scalar(
            select(func.min(Lead.change_seq)).where(Lead.updated_at >= since)
        )
        if first is not None:
            query = query.where(Lead.change_seq >= first)
    rows = list(
        (await session.scalars(query.order_by(Lead.change_seq, Lead.id).limit(limit + 1))).all()
    )
    has_more = len(rows) > limit
    leads = rows[:limit]
    if leads:
        position = Position(leads[-1].change_seq, leads[-1].id)
    elif after is not None:
        position = after
    else:
        # Nothing yet: the position after every change committed before the query.
        position = Position(int(last or 0), _END)
    return Page(leads, position, has_more)
