"""The partners' reliability figures — the *activity* view: what happened in the period.

Offers answered, claims, recalls, hand-backs, declines, SLA misses and deals closed, each
counted by the time it happened (:mod:`bot.reports.aggregation`), in two halves that run
side by side — one from the offers, exclusions and events, one from the leads — merged
into a row per partner. Medians and 90th percentiles use the nearest-rank method,
computed with window functions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.directory.availability import is_paused
from bot.models import Lead, LeadEvent, LeadExclusion, Offer, OfferStatus, Partner
from bot.reports.aggregation import (
    Bounds,
    as_count,
    as_money,
    count_if,
    effective_status,
    in_bounds,
)
from bot.reports.model import PartnerRow
from bot.reports.sql import minutes_between

OWNED_STATES = ("claimed", "contacted", "meeting", "proposal")


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
        .where(in_bounds(Offer.created_at, bounds))
        .group_by(Offer.partner_id)
    )
    for partner_id, count in offered.all():
        put(partner_id, offers=int(count))

    ended = await session.execute(
        select(
            Offer.partner_id,
            count_if(Offer.status == OfferStatus.WON).label("claims"),
            count_if(Offer.status == OfferStatus.CLOSED).label("expired"),
        )
        .where(in_bounds(Offer.closed_at, bounds))
        .group_by(Offer.partner_id)
    )
    for row in ended.all():
        put(row.partner_id, claims=as_count(row.claims), expired=as_count(row.expired))

    claim_times = select(
        Offer.partner_id.label("key"),
        minutes_between(Offer.closed_at, Offer.created_at).label("minutes"),
    ).where(Offer.status == OfferStatus.WON, in_bounds(Offer.closed_at, bounds))
    for row in (await session.execute(_percentiles(claim_times))).all():
        put(row.key, claim_median_minutes=_minutes(row.p50), claim_p90_minutes=_minutes(row.p90))

    exclusions = await session.execute(
        select(LeadExclusion.partner_id, LeadExclusion.reason, func.count())
        .where(in_bounds(LeadExclusion.at, bounds))
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
            in_bounds(LeadEvent.at, bounds),
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
    ).where(in_bounds(Lead.contacted_at, bounds), Lead.claimed_at.is_not(None))
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
            count_if(status == "won").label("won"),
            count_if(status == "lost").label("lost"),
            func.sum(case((status == "won", Lead.revenue_eur), else_=0)).label("revenue"),
        )
        .where(in_bounds(Lead.closed_at, bounds), Lead.owner_partner_id.is_not(None))
        .group_by(Lead.owner_partner_id)
    )
    for row in closed.all():
        put(row.owner_partner_id, won=as_count(row.won), lost=as_count(row.lost))
        put(row.owner_partner_id, revenue_eur=as_money(row.revenue))

    owned = await session.execute(
        select(Lead.owner_partner_id, func.count())
        .where(Lead.status.in_(OWNED_STATES), Lead.owner_partner_id.is_not(None))
        .group_by(Lead.owner_partner_id)
    )
    for partner_id, count in owned.all():
        put(partner_id, open_now=int(count))
    return data


async def partner_rows(session: AsyncSession, today: date, *halves: Figures) -> list[PartnerRow]:
    """Every partner with any activity in the period — also one that was recalled from all
    its leads and owns none now. The load now alone does not make a partner appear.

    ``today`` (in ``[distribution] timezone``) tells which partners are paused now: staff
    reading a partner's figures need to know it gets no new leads at the moment."""
    data: Figures = {}
    for half in halves:
        for partner_id, values in half.items():
            data.setdefault(partner_id, {}).update(values)
    data = {pid: values for pid, values in data.items() if set(values) - {"open_now"}}
    found = await session.execute(
        select(Partner.id, Partner.name, Partner.paused_at, Partner.on_leave_until).where(
            Partner.id.in_(list(data))
        )
    )
    known = {str(row.id): row for row in found.all()}
    rows = [
        PartnerRow(
            partner_id=pid,
            name=str(known[pid].name) if pid in known else pid,
            paused=pid in known and is_paused(known[pid], today),
            **values,
        )
        for pid, values in data.items()
    ]
    return sorted(rows, key=lambda r: (-r.won, -r.claims, -r.offers, r.name.lower(), r.partner_id))
