"""The report's weeks: leads received per week and deals won per week.

The two halves use the two views of time (:mod:`bot.reports.aggregation`): a lead counts
in the week it was *received* (cohort), a deal in the week it was *closed* (activity), so
the trend shows when the revenue came in, not when its leads did.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Lead
from bot.reports.aggregation import as_money, effective_status, in_bounds
from bot.reports.model import WeekRow
from bot.reports.period import Period
from bot.reports.sql import week_index


async def weeks(session: AsyncSession, period: Period) -> list[WeekRow]:
    """Leads received per week, and deals won per week (by the day they were closed)."""
    bounds = period.bounds()
    origin = literal(period.week_origin().timestamp())
    received_week = week_index(Lead.created_at, origin).label("week")
    received = dict(
        (
            await session.execute(
                select(received_week, func.count())
                .where(in_bounds(Lead.created_at, bounds))
                .group_by(received_week)
            )
        ).all()
    )
    won_week = week_index(Lead.closed_at, origin).label("week")
    won_rows = (
        await session.execute(
            select(won_week, func.count(), func.sum(Lead.revenue_eur))
            .where(in_bounds(Lead.closed_at, bounds), effective_status() == "won")
            .group_by(won_week)
        )
    ).all()
    won = {int(r[0]): (int(r[1]), as_money(r[2])) for r in won_rows}
    first = period.start.toordinal() - period.start.weekday()
    count = (period.end.toordinal() - first) // 7 + 1
    out = []
    for index in range(count):
        monday = type(period.start).fromordinal(first + 7 * index)
        deals, revenue = won.get(index, (0, Decimal(0)))
        out.append(WeekRow(monday, int(received.get(index, 0)), deals, revenue))
    return out
