"""The read API's answers as pydantic models: they document ``/openapi.json`` and the webhooks.

The JSON itself is built by :mod:`bot.crm.view`; these models describe it (the schemathesis
test checks every answer against them).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.models import LeadStatus


class PartnerRef(BaseModel):
    id: str
    name: str | None


class RepRef(BaseModel):
    name: str | None


class EventActor(BaseModel):
    kind: str
    id: str | None
    name: str | None


class LeadEventOut(BaseModel):
    id: int
    at: str
    kind: str
    from_status: str | None
    to_status: str | None
    actor: EventActor
    channel: str
    partner_id: str | None
    detail: dict[str, Any]


class LeadOut(BaseModel):
    """A lead as leadbot sees it; no personal data."""

    id: int
    external_id: str | None
    campaign: str | None
    source: str | None
    status: LeadStatus
    hold_reason: str | None
    products: list[str]
    partner: PartnerRef | None
    rep: RepRef | None
    claimed_via: str | None
    created_at: str | None
    updated_at: str | None
    offered_at: str | None
    claimed_at: str | None
    contacted_at: str | None
    closed_at: str | None
    erased_at: str | None
    revenue_eur: float | None
    lost_reason: str | None
    follow_up_on: str | None
    events: list[LeadEventOut]


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str
    has_more: bool
