"""The period's leads — the *cohort* view: the leads received in the period and how far they
got, counted once for the funnel, the status counts, the money and the campaigns.

So a campaign's revenue is what its leads brought in, whenever the deal was closed
(the rules all report queries follow: :mod:`bot.reports.aggregation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.models import Lead
from bot.reports.aggregation import (
    Bounds,
    as_count,
    as_money,
    count_if,
    effective_status,
    in_bounds,
)
from bot.reports.model import CampaignRow, Funnel


def _stage_columns() -> list[ColumnElement[Any]]:
    """Per group: how many leads ever reached each stage, their revenue and open pipeline."""
    status = effective_status()
    closed = Lead.closed_at.is_not(None)
    return [
        func.count().label("leads"),
        count_if(Lead.offer_round > 0).label("offered"),
        count_if(or_(Lead.claimed_at.is_not(None), closed)).label("claimed"),
        count_if(or_(Lead.contacted_at.is_not(None), closed)).label("contacted"),
        count_if(status == "won").label("won"),
        count_if(status == "lost").label("lost"),
        func.sum(case((status == "won", Lead.revenue_eur), else_=0)).label("revenue"),
        func.sum(
            case((status.not_in(("won", "lost", "erased")), Lead.estimated_value_eur), else_=0)
        ).label("pipeline"),
    ]


@dataclass(frozen=True)
class Cohort:
    """The period's leads, counted once: funnel, status, money, and the same per campaign."""

    funnel: Funnel
    by_status: dict[str, int]
    revenue: Decimal
    pipeline: Decimal
    campaigns: list[CampaignRow]


_STAGES = ("leads", "offered", "claimed", "contacted", "won", "lost")


def _zero() -> dict[str, Any]:
    return {**dict.fromkeys(_STAGES, 0), "revenue": Decimal(0), "pipeline": Decimal(0)}


async def cohort(session: AsyncSession, bounds: Bounds, costs: dict[str, Decimal]) -> Cohort:
    """One grouped query (campaign x status) over the period's leads; the funnel, the status
    counts and the campaign rows are sums of its few hundred result rows."""
    status = effective_status().label("status")
    rows = (
        await session.execute(
            select(Lead.campaign, status, *_stage_columns())
            .where(in_bounds(Lead.created_at, bounds))
            .group_by(Lead.campaign, status)
        )
    ).all()
    total = _zero()
    by_status: dict[str, int] = {}
    per_campaign: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        by_status[str(row.status)] = by_status.get(str(row.status), 0) + as_count(row.leads)
        campaign = per_campaign.setdefault(row.campaign, _zero())
        for sums in (total, campaign):
            for key in _STAGES:
                sums[key] += as_count(getattr(row, key))
            sums["revenue"] += as_money(row.revenue)
            sums["pipeline"] += as_money(row.pipeline)
    campaigns = [
        CampaignRow(
            campaign=name,
            **{key: values[key] for key in _STAGES},
            revenue_eur=values["revenue"],
            pipeline_eur=values["pipeline"],
            cost_eur=costs.get(name) if name is not None else None,
        )
        for name, values in per_campaign.items()
    ]
    campaigns.sort(key=lambda c: (-c.revenue_eur, -c.leads, c.campaign or "\uffff"))
    funnel = Funnel(**{key: total[key] for key in _STAGES})
    return Cohort(funnel, by_status, total["revenue"], total["pipeline"], campaigns)


async def known_campaigns(session: AsyncSession, names: Sequence[str]) -> set[str]:
    """Which of ``names`` have at least one lead (ever)."""
    if not names:
        return set()
    found = await session.scalars(
        select(Lead.campaign).where(Lead.campaign.in_(list(names))).distinct()
    )
    return {name for name in found.all() if name is not None}
