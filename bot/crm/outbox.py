"""The webhook outbox: lead events become ``webhook_deliveries`` rows in their transaction.

:func:`bot.leads.events.record` hands every audit event to :meth:`WebhookOutbox.note`, so
no service can forget a webhook: each status change is ``lead.<new status>``, a follow-up
date ``lead.follow_up_set``. Just before the unit of work commits, :meth:`WebhookOutbox.write`
turns them into one row per endpoint that subscribed to the event — in the same
transaction as the change, so a committed change always has its webhook and a rolled
back one never has.

The payload is ``{"type", "timestamp", "data"}``; ``data`` is the lead as the read API
shows it (:mod:`bot.crm.view`) as it was right after the event. That moment is kept with
a snapshot of the lead's columns taken when the next status change of the same lead
starts (``settle``, called by ``change_status``) or at the commit, so a lead handed back
and re-offered in one transaction sends ``lead.returned`` with status ``returned`` and
then ``lead.offered``.

With no ``[[webhooks]]`` configured this does nothing at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import WebhookEndpoint
from bot.crm.view import LeadState, events_for, iso, lead_json, names_for, scrub_free_text, state_of
from bot.models import Lead, LeadEvent, WebhookDelivery, WebhookStatus

FOLLOW_UP_KIND = "follow_up"


def event_type(event: LeadEvent) -> str | None:
    """The webhook event an audit event is, if any."""
    if event.to_status:
        return f"lead.{event.to_status}"
    if event.kind == FOLLOW_UP_KIND:
        return "lead.follow_up_set"
    return None


@dataclass
class _Noted:
    lead: Lead
    event: LeadEvent
    type: str
    endpoints: list[str]
    state: LeadState | None = None


@dataclass
class WebhookOutbox:
    """One unit of work's webhook events, waiting for its commit."""

    endpoints: Sequence[WebhookEndpoint]
    noted: list[_Noted] = field(default_factory=list)
    written: bool = False

    def note(self, lead: Lead, event: LeadEvent) -> None:
        if not self.endpoints:
            return
        kind = event_type(event)
        if kind is None:
            return
        wanted = [hook.name for hook in self.endpoints if hook.wants(kind)]
        if wanted:
            self.noted.append(_Noted(lead, event, kind, wanted))

    def settle(self, lead: Lead) -> None:
        """Fix the lead's state for its events so far (it is about to change again)."""
        for item in self.noted:
            if item.state is None and item.lead is lead:
                item.state = state_of(lead)

    def forget(self) -> None:
        self.noted.clear()

    async def write(self, session: AsyncSession, now: datetime) -> int:
        """Add the delivery rows for everything noted (flushes first); how many."""
        if not self.noted:
            return 0
        await session.flush()
        for item in self.noted:
            if item.state is None:
                item.state = state_of(item.lead)
            elif item.state.updated_at != item.lead.updated_at:
                # Settled mid-transaction: keep that state, but not an older updated_at.
                item.state = replace(item.state, updated_at=item.lead.updated_at)
        states = [item.state for item in self.noted if item.state is not None]
        names = await names_for(session, states)
        events = await events_for(session, {item.lead.id for item in self.noted})
        rows = []
        for item in sorted(self.noted, key=lambda n: n.event.id):
            assert item.state is not None
            trail = [e for e in events.get(item.lead.id, []) if e.id <= item.event.id]
            payload = {
                "type": item.type,
                "timestamp": iso(item.event.at),
                "data": lead_json(item.state, names, trail),
            }
            for endpoint in item.endpoints:
                rows.append(
                    WebhookDelivery(
                        endpoint=endpoint,
                        event_type=item.type,
                        lead_id=item.lead.id,
                        lead_event_id=item.event.id,
                        payload=payload,
                        created_at=now,
                        queued_at=now,
                        status=WebhookStatus.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
        session.add_all(rows)
        await session.flush()
        self.noted.clear()
        self.written = True
        return len(rows)


async def scrub_lead_deliveries(session: AsyncSession, lead_id: int) -> None:
    """Erasure: stored payloads of the lead lose its external_id and the trail's free text."""
    rows = await session.scalars(select(WebhookDelivery).where(WebhookDelivery.lead_id == lead_id))
    for row in rows.all():
        payload: dict[str, Any] = dict(row.payload)
        payload["data"] = scrub_free_text(payload.get("data", {}))
        row.payload = payload
