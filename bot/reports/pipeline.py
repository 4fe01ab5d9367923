"""The staff report for a period: every figure from aggregate SQL (:mod:`bot.reports.queries`).

``leadbot report``, the chats' pipeline views, the cockpit and the weekly digest all call
:func:`pipeline`, so they agree by construction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.reports import queries
from bot.reports.costs import campaign_costs, unknown_cost_warnings
from bot.reports.model import Report
from bot.reports.period import Period, parse_period
from bot.uow import UnitOfWork


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


async def build_report(
    session: AsyncSession,
    settings: Settings,
    period: Period,
    now: datetime,
    *,
    partners: bool = True,
) -> Report:
    """The report for ``period`` from one session (the outbox resolver has no unit of work)."""
    bounds = period.bounds()
    costs = await campaign_costs(session, settings)
    leads = await queries.cohort(session, bounds, costs)
    return Report(
        period=period,
        generated_at=now,
        funnel=leads.funnel,
        by_status=leads.by_status,
        pipeline_eur=leads.pipeline,
        revenue_eur=leads.revenue,
        campaigns=leads.campaigns,
        partners=await queries.partners(session, bounds) if partners else [],
        weeks=await queries.weeks(session, period),
        warnings=await unknown_cost_warnings(session, costs),
    )


async def pipeline(
    uow: UnitOfWork, period: Period | None = None, *, partners: bool = True
) -> Report:
    """The report for ``period`` (default: :func:`default_period`).

    ``partners=False`` skips the partner reliability queries (pages that do not show them).
    """
    return await build_report(
        uow.session,
        uow.settings,
        period or default_period(uow),
        uow.clock.now(),
        partners=partners,
    )
