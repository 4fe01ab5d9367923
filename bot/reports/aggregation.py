"""What every report query is built of, and the rules they all follow.

The report's figures are aggregate SQL (SQLAlchemy Core), the same on SQLite and
PostgreSQL. Nothing loads leads into Python: each query is grouped and gets back a row per
status, campaign, partner or week. Two views of time, on purpose:

* **cohort** (funnel, status, campaigns, weeks' leads): the leads *received* in the period
  and how far they got — so a campaign's revenue is what its leads brought in
  (:mod:`bot.reports.cohort`, :mod:`bot.reports.weeks`);
* **activity** (partners, weeks' revenue): what *happened* in the period — offers answered,
  claims, recalls, hand-backs, declines, deals closed — by the time it happened
  (:mod:`bot.reports.partner_figures`, :mod:`bot.reports.weeks`).

"Ever reached" a stage is read from columns that keep history: ``offer_round`` (offered at
least once), ``claimed_at``/``contacted_at`` (kept while a partner has the lead) and
``closed_at``. An erased lead keeps its outcome: closed with a lost reason is lost, closed
without one is won (:func:`effective_status`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.sql.elements import ColumnElement

from bot.models import Lead

Bounds = tuple[datetime, datetime]


def in_bounds(column: Any, bounds: Bounds) -> ColumnElement[bool]:
    """``column`` within the period: from its start, up to (not including) its end."""
    return and_(column >= bounds[0], column < bounds[1])


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of a group meet ``condition`` (one query counts several stages)."""
    return func.sum(case((condition, 1), else_=0))


def effective_status() -> ColumnElement[str]:
    """The lead's status, with an erased lead's known outcome (won/lost) kept."""
    erased = Lead.status == "erased"
    return case(
        (and_(erased, Lead.closed_at.is_not(None), Lead.lost_reason.is_(None)), "won"),
        (and_(erased, Lead.lost_reason.is_not(None)), "lost"),
        else_=Lead.status,
    )


def as_money(value: Any) -> Decimal:
    """A sum of euros as read back (None when no row counted), to the cent."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def as_count(value: Any) -> int:
    """A count as read back (a ``SUM`` over no rows is None)."""
    return int(value or 0)
