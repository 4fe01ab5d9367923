"""The report's figures as aggregate SQL (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Nothing here loads leads into Python: each function sends one grouped query and gets back
a row per status, campaign, partner or week. Two views of time, on purpose:

* **cohort** (funnel, status, campaigns, weeks' leads): the leads *received* in the period
  and how far they got — so a campaign's revenue is what its leads brought in;
* **activity** (partners, weeks' revenue): what *happened* in the period — offers answered,
  claims, recalls, hand-backs, declines, deals closed — by the time it happened.

"Ever reached" a stage is read from columns that keep history: ``offer_round`` (offered at
least once), ``claimed_at``/``contacted_at`` (kept while a partner has the lead) and
``closed_at``. An erased lead keeps its outcome: closed with a lost reason is lost, closed
without one is won. Medians and 90th percentiles use the nearest-rank method, computed
with window functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.models import Lead, LeadEvent, LeadExclusion, Offer, OfferStatus, Partner
from bot.reports.model import CampaignRow, Funnel, PartnerRow, WeekRow
from bot.reports.period import Period
from bot.reports.sql import minutes_between, week_index

Bounds = tuple[datetime, datetime]
OWNED_STATES = ("claimed", "contacted", "meeting", "proposal")


def _in(column: Any, bounds: Bounds) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[1])


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def effective_status() -> ColumnElement[str]:
    """The lead's status, with an erased lead's known outcome (won/lost) kept."""
    erased = Lead.status == "erased"
    return case(
        (and_(erased, Lead.closed_at.is_not(None), Lead.lost_reason.is_(None)), "won"),
        (and_(erased, Lead.lost_reason.is_not(None)), "lost"),
        else_=Lead.status,
    )


def _stage_columns() -> list[ColumnElement[Any]]:
    status = effective_status()
    closed = Lead.closed_at.is_not(None)
    return [
        func.count().label("leads"),
        _flag(Lead.offer_round > 0).label("offered"),
        _flag(or_(Lead.claimed_at.is_not(None), closed)).label("claimed"),
        _flag(or_(Lead.contacted_at.is_not(None), closed)).label("contacted"),
        _flag(status == "won").label("won"),
        _flag(status == "lost").label("lost"),
        func.sum(case((status == "won", Lead.revenue_eur), else_=0)).label("revenue"),
        func.sum(
            case((status.not_in(("won", "lost", "erased")), Lead.estimated_value_eur), else_=0)
        ).label("pipeline"),
    ]


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _count(value: Any) -> int:
    return int(value or 0)


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
            .where(_in(Lead.created_at, bounds))
            .group_by(Lead.campaign, status)
        )
    ).all()
    total = _zero()
    by_status: dict[str, int] = {}
    per_campaign: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        by_status[str(row.status)] = by_status.get(str(row.status), 0) + _count(row.leads)
        campaign = per_campaign.setdefault(row.campaign, _zero())
        for sums in (total, campaign):
            for key in _STAGES:
                sums[key] += _count(getattr(row, key))
            sums["revenue"] += _money(row.revenue)
            sums["pipeline"] += _money(row.pipeline)
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


async def weeks(session: AsyncSession, period: Period) -> list[WeekRow]:
    """Leads received per week, and deals won per week (by the day they were closed)."""
    bounds = period.bounds()
    origin = literal(period.week_origin().timestamp())
    received_week = week_index(Lead.created_at, origin).label("week")
    received = dict(
        (
            await session.execute(
                select(received_week, func.count())
                .where(_in(Lead.created_at, bounds))
                .group_by(received_week)
            )
        ).all()
    )
    won_week = week_index(Lead.closed_at, origin).label("week")
    won_rows = (
        await session.execute(
            select(won_week, func.count(), func.sum(Lead.revenue_eur))
            .where(_in(Lead.closed_at, bounds), effective_status() == "won")
            .group_by(won_week)
        )
    ).all()
    won = {int(r[0]): (int(r[1]), _money(r[2])) for r in won_rows}
    first = period.start.toordinal() - period.start.weekday()
    count = (period.end.toordinal() - first) // 7 + 1
    out = []
    for index in range(count):
        monday = type(period.start).fromordinal(first + 7 * index)
        deals, revenue = won.get(index, (0, Decimal(0)))
        out.append(WeekRow(monday, int(received.get(index, 0)), deals, revenue))
    return out


def _percentiles(source: Select[Any]) -> Select[Any]:
    """Per key: count, nearest-rank median and 90th percentile of ``source(key, minutes)``."""
    sub = source.subquery()
    ranked = select(
        sub.c.key,
        sub.c.minutes,
        func.row_number().over(partition_by=sub.c.key, order_by=sub.c.minutes).label("rn"),
        func.count().over(partition_by=sub.c.key).label("n"),
    ).subquery()
    return select(
        ranked.c.key,
        func.max(case((ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.minutes))).label("p50"),
        func.max(case((ranked.c.rn == (9 * ranked.c.n + 9) // 10, ranked.c.minutes))).label("p90"),
    ).group_by(ranked.c.key)


def _minutes(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


Figures = dict[str, dict[str, Any]]
"""partner id -> {measure: value}, merged from the two halves below."""


def _collector() -> tuple[Figures, Any]:
    data: Figures = {}

    def put(partner_id: str | None, **values: Any) -> None:
        if partner_id is not None:
            data.setdefault(partner_id, {}).update(values)

    return data, put


async def partner_offers(session: AsyncSession, bounds: Bounds) -> Figures:
    """Offers made, claims, time to claim, expired offers; recalls, hand-backs, declines
    and SLA misses (offers, exclusions and events)."""
    data, put = _collector()
    offered = await session.execute(
        select(Offer.partner_id, func.count())
        .where(_in(Offer.created_at, bounds))
        .group_by(Offer.partner_id)
    )
    for partner_id, count in offered.all():
        put(partner_id, offers=int(count))

    ended = await session.execute(
        select(
            Offer.partner_id,
            _flag(Offer.status == OfferStatus.WON).label("claims"),
            _flag(Offer.status == OfferStatus.CLOSED).label("expired"),
        )
        .where(_in(Offer.closed_at, bounds))
        .group_by(Offer.partner_id)
    )
    for row in ended.all():
        put(row.partner_id, claims=_count(row.claims), expired=_count(row.expired))

    claim_times = select(
        Offer.partner_id.label("key"),
        minutes_between(Offer.closed_at, Offer.created_at).label("minutes"),
    ).where(Offer.status == OfferStatus.WON, _in(Offer.closed_at, bounds))
    for row in (await session.execute(_percentiles(claim_times))).all():
        put(row.key, claim_median_minutes=_minutes(row.p50), claim_p90_minutes=_minutes(row.p90))

    exclusions = await session.execute(
        select(LeadExclusion.partner_id, LeadExclusion.reason, func.count())
        .where(_in(LeadExclusion.at, bounds))
        .group_by(LeadExclusion.partner_id, LeadExclusion.reason)
    )
    names = {"recalled": "recalls", "returned": "handbacks", "declined": "declines"}
    for partner_id, reason, count in exclusions.all():
        if reason in names:
            put(partner_id, **{names[reason]: int(count)})

    sla = await session.execute(
        select(LeadEvent.partner_id, func.count())
        .where(
            LeadEvent.to_status == "recalled",
            _in(LeadEvent.at, bounds),
            LeadEvent.detail["reason"].as_string() == "sla",
        )
        .group_by(LeadEvent.partner_id)
    )
    for partner_id, count in sla.all():
        put(partner_id, sla_misses=int(count))

    return data


async def partner_leads(session: AsyncSession, bounds: Bounds) -> Figures:
    """Time to first contact, deals closed in the period and the load now (the leads)."""
    data, put = _collector()
    # First contact: from the claim to the first progress report, as kept on the lead while
    # its partner has it (a recall or hand-back clears both; the next owner starts anew).
    contact_times = select(
        Lead.owner_partner_id.label("key"),
        minutes_between(Lead.contacted_at, Lead.claimed_at).label("minutes"),
    ).where(_in(Lead.contacted_at, bounds), Lead.claimed_at.is_not(None))
    for row in (await session.execute(_percentiles(contact_times))).all():
        put(
            row.key,
            contact_median_minutes=_minutes(row.p50),
            contact_p90_minutes=_minutes(row.p90),
        )

    status = effective_status()
    closed = await session.execute(
        select(
            Lead.owner_partner_id,
            _flag(status == "won").label("won"),
            _flag(status == "lost").label("lost"),
            func.sum(case((status == "won", Lead.revenue_eur), else_=0)).label("revenue"),
        )
        .where(_in(Lead.closed_at, bounds), Lead.owner_partner_id.is_not(None))
        .group_by(Lead.owner_partner_id)
    )
    for row in closed.all():
        put(row.owner_partner_id, won=_count(row.won), lost=_count(row.lost))
        put(row.owner_partner_id, revenue_eur=_money(row.revenue))

    owned = await session.execute(
        select(Lead.owner_partner_id, func.count())
        .where(Lead.status.in_(OWNED_STATES), Lead.owner_partner_id.is_not(None))
        .group_by(Lead.owner_partner_id)
    )
    for partner_id, count in owned.all():
        put(partner_id, open_now=int(count))
    return data


async def partner_rows(session: AsyncSession, *halves: Figures) -> list[PartnerRow]:
    """Every partner with any activity in the period — also one that was recalled from all
    its leads and owns none now. The load now alone does not make a partner appear."""
    data: Figures = {}
    for half in halves:
        for partner_id, values in half.items():
            data.setdefault(partner_id, {}).update(values)
    data = {pid: values for pid, values in data.items() if set(values) - {"open_now"}}
    found = await session.execute(
        select(Partner.id, Partner.name).where(Partner.id.in_(list(data)))
    )
    named = {str(pid): str(name) for pid, name in found.all()}
    rows = [
        PartnerRow(partner_id=pid, name=named.get(pid, pid), **values)
        for pid, values in data.items()
    ]
    return sorted(rows, key=lambda r: (-r.won, -r.claims, -r.offers, r.name.lower(), r.partner_id))
