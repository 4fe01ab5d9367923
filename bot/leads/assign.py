"""Manual assignment: staff offer a lead to one partner they know is right.

``leadbot leads assign LEAD PARTNER`` and ``assign <lead> <partner>`` in a staff chat make
an exclusive offer to that partner alone — from ``unmatched``, ``unclaimed`` or ``offered``
(open offers to others are withdrawn). The filters that would have kept the partner out
(region, capacity, a decline before …) are reported as warnings, not refusals: staff have
the last word — except two (:data:`NOT_OVERRULED`): the prospect's consent decides who may
contact them, and a partner that is deactivated, on leave or paused could not claim the
offer (resume it first). The partner claims with the normal Claim button and then has the normal
claim SLA; any other partner's claim is refused (their offers are closed). A lead that is
held must be released first (consent); an owned or closed lead cannot be assigned.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.actors import Actor
from bot.errors import NotAllowed, NotFound
from bot.explain.service import explain_stored_lead
from bot.leads.distribution import offer_exclusively
from bot.leads.events import change_status, record
from bot.leads.locks import lead_for_update
from bot.matching.model import Check
from bot.models import LeadStatus, Partner
from bot.plaintext import quoted, shortened
from bot.uow import UnitOfWork

ASSIGNABLE = frozenset({LeadStatus.UNMATCHED, LeadStatus.UNCLAIMED, LeadStatus.OFFERED})
NOT_OVERRULED = {"consent": "assign.no_consent", "active": "assign.inactive"}
"""The filters staff cannot overrule, and the message key of each refusal."""


@dataclass(frozen=True)
class Assignment:
    lead_id: int
    partner_id: str
    partner_name: str
    failed: tuple[Check, ...]  # the filters the partner does not pass

    @property
    def warnings(self) -> tuple[str, ...]:
        """The failed filters in English (CLI, event log); chats word them per language."""
        return tuple(check.detail for check in self.failed)


async def assign(uow: UnitOfWork, lead_id: int, partner_id: str, actor: Actor) -> Assignment:
    """Offer ``lead_id`` to ``partner_id`` alone. Commits; refusals change nothing."""
    lead = await lead_for_update(uow.session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist", key="reply.not_found", lead_id=lead_id)
    partner = await uow.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(
            f"no partner with id {quoted(partner_id)}",
            key="reply.partner_not_found",
            partner=shortened(partner_id),
        )
    if lead.status is LeadStatus.HELD:
        raise NotAllowed(
            f"lead {lead_id} is held; release it first (with consent)",
            key="assign.held",
            lead_id=lead_id,
        )
    if lead.status not in ASSIGNABLE:
        raise NotAllowed(
            f"lead {lead_id} is {lead.status.value}; only unmatched, unclaimed or offered "
            "leads can be assigned (recall an owned lead first)",
            key="assign.not_now",
            lead_id=lead_id,
            status=lead.status.value,
        )
    explained = await explain_stored_lead(uow, lead_id, partner_id)
    item = explained.explanation.partner(partner_id)
    failed = tuple(item.failed) if item is not None else ()
    for check in failed:
        if check.name in NOT_OVERRULED:
            raise NotAllowed(
                f"lead {lead_id} cannot be assigned to {partner.id}: {check.detail}",
                key=NOT_OVERRULED[check.name],
                lead_id=lead_id,
                partner=partner.name,
            )
    warnings = [check.detail for check in failed]
    if lead.status is not LeadStatus.OFFERED:
        change_status(uow, lead, LeadStatus.OFFERED, actor, assigned_to=partner_id)
    await offer_exclusively(uow, lead, partner_id, actor)
    record(
        uow,
        lead,
        actor,
        "assigned",
        partner_id=partner_id,
        round=lead.offer_round,
        warnings=warnings or None,
        # The same warnings as data, so a reader's language can say them (the cockpit).
        checks=[{"key": c.key, "name": c.name, "params": dict(c.params)} for c in failed] or None,
    )
    await uow.outbox.staff(
        "assigned",
        lead_id=lead.id,
        partner=partner.name,
        by=actor.shown,
        warnings="; ".join(warnings) or None,
    )
    await uow.commit()
    return Assignment(lead.id, partner.id, partner.name, failed)
