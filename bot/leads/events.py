"""Status changes and the audit trail: every change of ``leads.status`` goes through here.

Every event also marks the lead as changed (``updated_at``, the read API's change feed)
and is handed to the webhook outbox, which sends the lifecycle transitions and
follow-up dates to the configured ``[[webhooks]]`` when the transaction commits
(:mod:`bot.crm.outbox`) — so a new way of changing a lead cannot forget its webhook.
"""

from __future__ import annotations

from typing import Any

from bot.actors import Actor
from bot.leads.lifecycle import check_transition
from bot.models import Lead, LeadEvent, LeadStatus
from bot.uow import UnitOfWork


def record(
    uow: UnitOfWork,
    lead: Lead,
    actor: Actor,
    kind: str,
    *,
    from_status: LeadStatus | None = None,
    to_status: LeadStatus | None = None,
    partner_id: str | None = None,
    **detail: Any,
) -> LeadEvent:
    event = LeadEvent(
        lead_id=lead.id,
        at=uow.clock.now(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        channel=actor.channel,
        kind=kind,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        partner_id=partner_id if partner_id is not None else actor.partner_id,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    uow.session.add(event)
    lead.updated_at = event.at
    uow.changes.touch(lead)
    uow.webhooks.note(lead, event)
    return event


def change_status(
    uow: UnitOfWork, lead: Lead, wanted: LeadStatus, actor: Actor, **detail: Any
) -> LeadEvent:
    """Move ``lead`` to ``wanted`` if the lifecycle allows it, and record who did it.

    Raises :class:`bot.leads.lifecycle.IllegalTransition` (changing nothing) otherwise.
    """
    current = lead.status
    check_transition(lead.id, current, wanted)
    uow.webhooks.settle(lead)  # earlier events of this transaction show the lead before this
    lead.status = wanted
    lead.updated_at = uow.clock.now()
    return record(uow, lead, actor, "status", from_status=current, to_status=wanted, **detail)
