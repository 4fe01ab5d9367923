"""The lead as the read API and the webhooks show it: state, owner, outcome, audit trail.

Personal data is never part of it (the CRM has it): no company, contact, address or the
prospect's message. The audit trail says who did what, from where, when — reps by name,
staff and the system by role — and the details each event recorded (a wave's partners,
a revenue, a reason, a rep's note; free text is removed from the trail when the lead is
erased, see :mod:`bot.leads.staff`).

:class:`LeadState` is a snapshot of the lead's own columns, so a webhook can show the
lead as it was right after its event even when the same transaction changed it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Lead, LeadEvent, LeadStatus, Partner, Rep

FREE_TEXT_DETAIL_KEYS = ("note", "text", "message")
"""Detail keys that hold people's free text; erasure removes them (trail and webhooks)."""


@dataclass(frozen=True)
class LeadState:
    """The lead's own columns that the view shows, at one moment."""

    id: int
    external_id: str | None
    campaign: str | None
    source: str | None
    status: str
    hold_reason: str | None
    products: tuple[str, ...]
    owner_partner_id: str | None
    owner_rep_id: int | None
    claimed_via: str | None
    created_at: datetime | None
    updated_at: datetime | None
    offered_at: datetime | None
    claimed_at: datetime | None
    contacted_at: datetime | None
    closed_at: datetime | None
    erased_at: datetime | None
    revenue_eur: Decimal | None
    lost_reason: str | None
    follow_up_on: date | None


def state_of(lead: Lead) -> LeadState:
    return LeadState(
        id=lead.id,
        external_id=lead.external_id,
        campaign=lead.campaign,
        source=lead.source,
        status=lead.status.value,
        # Only while held: an erased (or released) lead is not held for any reason.
        hold_reason=lead.hold_reason.value
        if lead.hold_reason and lead.status is LeadStatus.HELD
        else None,
        products=tuple(lead.products or ()),
        owner_partner_id=lead.owner_partner_id,
        owner_rep_id=lead.owner_rep_id,
        claimed_via=lead.claimed_via,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
        offered_at=lead.offered_at,
        claimed_at=lead.claimed_at,
        contacted_at=lead.contacted_at,
        closed_at=lead.closed_at,
        erased_at=lead.erased_at,
        revenue_eur=lead.revenue_eur,
        lost_reason=lead.lost_reason,
        follow_up_on=lead.follow_up_on,
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def event_json(event: LeadEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.at),
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": {
            "kind": event.actor_kind.value,
            "id": event.actor_id,
            "name": event.actor_name,
        },
        "channel": event.channel.value,
        "partner_id": event.partner_id,
        "detail": dict(event.detail or {}),
    }


@dataclass(frozen=True)
class Names:
    partners: dict[str, str]
    reps: dict[int, str]


async def names_for(session: AsyncSession, states: Iterable[LeadState]) -> Names:
    partner_ids = {s.owner_partner_id for s in states if s.owner_partner_id}
    rep_ids = {s.owner_rep_id for s in states if s.owner_rep_id is not None}
    partners: dict[str, str] = {}
    reps: dict[int, str] = {}
    if partner_ids:
        rows = await session.execute(
            select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids))
        )
        partners = {pid: name for pid, name in rows.all()}
    if rep_ids:
        rows = await session.execute(select(Rep.id, Rep.name).where(Rep.id.in_(rep_ids)))
        reps = {rid: name for rid, name in rows.all()}
    return Names(partners, reps)


async def events_for(session: AsyncSession, lead_ids: Iterable[int]) -> dict[int, list[LeadEvent]]:
    """Every audit event of these leads, oldest first, in as few queries as it takes."""
    found: dict[int, list[LeadEvent]] = defaultdict(list)
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(LeadEvent)
            .where(LeadEvent.lead_id.in_(ids[start : start + 500]))
            .order_by(LeadEvent.lead_id, LeadEvent.id)
        )
        for event in rows.all():
            found[event.lead_id].append(event)
    return found


def lead_json(state: LeadState, names: Names, events: Sequence[LeadEvent]) -> dict[str, Any]:
    """The lead (DESIGN §6 read API) as a JSON-ready dict."""
    partner = (
        {"id": state.owner_partner_id, "name": names.partners.get(state.owner_partner_id)}
        if state.owner_partner_id
        else None
    )
    rep = {"name": names.reps.get(state.owner_rep_id)} if state.owner_rep_id is not None else None
    return {
        "id": state.id,
        "external_id": state.external_id,
        "campaign": state.campaign,
        "source": state.source,
        "status": state.status,
        "hold_reason": state.hold_reason,
        "products": list(state.products),
        "partner": partner,
        "rep": rep,
        "claimed_via": state.claimed_via,
        "created_at": iso(state.created_at),
        "updated_at": iso(state.updated_at),
        "offered_at": iso(state.offered_at),
        "claimed_at": iso(state.claimed_at),
        "contacted_at": iso(state.contacted_at),
        "closed_at": iso(state.closed_at),
        "erased_at": iso(state.erased_at),
        "revenue_eur": float(state.revenue_eur) if state.revenue_eur is not None else None,
        "lost_reason": state.lost_reason,
        "follow_up_on": state.follow_up_on.isoformat() if state.follow_up_on else None,
        "events": [event_json(e) for e in events],
    }


async def leads_json(session: AsyncSession, leads: Sequence[Lead]) -> list[dict[str, Any]]:
    """The view of each lead, in the given order (the read API)."""
    states = [state_of(lead) for lead in leads]
    names = await names_for(session, states)
    events = await events_for(session, (s.id for s in states))
    return [lead_json(s, names, events.get(s.id, [])) for s in states]


def scrub_free_text(lead: dict[str, Any]) -> dict[str, Any]:
    """The view without what erasure removes: external_id and free text in the trail."""
    events = [
        {
            **event,
            "detail": {
                k: v for k, v in event.get("detail", {}).items() if k not in FREE_TEXT_DETAIL_KEYS
            },
        }
        for event in lead.get("events", [])
    ]
    return {**lead, "external_id": None, "events": events}
