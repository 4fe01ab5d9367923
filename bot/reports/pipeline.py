"""The staff report for a period: every figure from aggregate SQL (:mod:`bot.reports.aggregation`).

``leadbot report``, the chats' pipeline views, the cockpit and the weekly digest all call
:func:`pipeline`, so they agree by construction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db import READ_ONLY
from bot.directory.availability import local_date
from bot.reports.cohort import Cohort, cohort
from bot.reports.costs import campaign_costs, unknown_cost_campaigns
from bot.reports.model import PartnerRow, Report, WeekRow
from bot.reports.partner_figures import Figures, partner_leads, partner_offers, partner_rows
from bot.reports.period import Period, parse_period
from bot.reports.weeks import weeks as week_rows
from bot.uow import UnitOfWork

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


def default_period(uow: UnitOfWork) -> Period:
    """The last ``[cockpit] default_days`` days up to today."""
    settings = uow.settings
    return parse_period(
        None,
        None,
        now=uow.clock.now(),
        timezone=settings.distribution.timezone,
        default_days=settings.cockpit.default_days,
    )


async def _in_session(sessions: Sessions, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` in a fresh read-only session (on SQLite: without the write lock)."""
    async with sessions() as session:
        await session.connection(execution_options={READ_ONLY: True})
        return await work(session)


async def build_report(
    sessions: Sessions,
    settings: Settings,
    period: Period,
    now: datetime,
    *,
    partners: bool = True,
) -> Report:
    """The report for ``period``.

    The independent query groups run side by side, each in its own session (connection):
    the database works on them in parallel (SQLite's reader threads in WAL mode and
    PostgreSQL's backends can use both cores), and on SQLite the report takes no write lock,
    so claims are never kept waiting for it.
    """
    bounds = period.bounds()
    today = local_date(settings, now)

    async def leads(session: AsyncSession) -> tuple[Cohort, list[str]]:
        costs = await campaign_costs(session, settings)
        received = await cohort(session, bounds, costs)
        return received, await unknown_cost_campaigns(session, costs)

    async def weeks(session: AsyncSession) -> list[WeekRow]:
        return await week_rows(session, period)

    async def offers(session: AsyncSession) -> Figures:
        return await partner_offers(session, bounds) if partners else {}

    async def owners(session: AsyncSession) -> Figures:
        return await partner_leads(session, bounds) if partners else {}

    (received, unknown_costs), trend, by_offers, by_leads = await asyncio.gather(
        _in_session(sessions, leads),
        _in_session(sessions, weeks),
        _in_session(sessions, offers),
        _in_session(sessions, owners),
    )
    rows: list[PartnerRow] = []
    if partners:
        rows = await _in_session(
            sessions, lambda session: partner_rows(session, today, by_offers, by_leads)
        )
    return Report(
        period=period,
        generated_at=now,
        funnel=received.funnel,
        by_status=received.by_status,
        pipeline_eur=received.pipeline,
        revenue_eur=received.revenue,
        campaigns=received.campaigns,
        partners=rows,
        weeks=trend,
        unknown_cost_campaigns=unknown_costs,
    )


async def pipeline(
    uow: UnitOfWork, period: Period | None = None, *, partners: bool = True
) -> Report:
    """The report for ``period`` (default: :func:`default_period`).

    ``partners=False`` skips the partner reliability queries (pages that do not show them).
    """
    return await build_report(
        uow.sessions,
        uow.settings,
        period or default_period(uow),
        uow.clock.now(),
        partners=partners,
    )
