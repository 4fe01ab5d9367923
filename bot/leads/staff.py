"""What the manufacturer's staff do to leads: release, re-offer, recall, erase."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.actors import Actor
from bot.crm.erased_leads import bury
from bot.crm.outbox import scrub_lead_deliveries
from bot.crm.view import FREE_TEXT_DETAIL_KEYS
from bot.delivery.news_views import forget_lead_news
from bot.delivery.notices import NoticeKind, ToRep
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.leads.distribution import RoundOutcome, cancel_timers, close_open_offers, start_round
from bot.leads.events import change_status
from bot.leads.lifecycle import OWNED
from bot.leads.locks import lead_for_update
from bot.leads.progress import recall
from bot.models import (
    ChatMessage,
    HoldReason,
    Lead,
    LeadEvent,
    LeadPersonalData,
    LeadStatus,
    MessageKind,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
)
from bot.uow import UnitOfWork


async def get_lead(uow: UnitOfWork, lead_id: int) -> Lead:
    lead = await lead_for_update(uow.session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist", key="reply.not_found", lead_id=lead_id)
    return lead


def _wrong_state(lead: Lead, key: str, english: str) -> NotAllowed:
    """A staff action refused for the lead's state, said as what the action needs (the
    lifecycle's "it cannot become offered" names a state staff never asked for). The CLI
    prints the English sentence; the chats say ``key`` in the asker's language."""
    status = lead.status.value
    return NotAllowed(
        f"lead {lead.id} " + english.format(status=status),
        key=key,
        lead_id=lead.id,
        status=status,
    )


async def release(
    uow: UnitOfWork, lead_id: int, actor: Actor, *, consent: bool = False
) -> RoundOutcome:
    """Let a held lead go to matching. Commits.

    Refused (NotAllowed, key ``reply.not_held``) for a lead that is not held: the CLI
    prints the message, the chats say the key in the asker's language.

    A lead held for missing consent needs ``consent=True`` (staff confirm that consent to
    share with partners was obtained meanwhile). A possible duplicate just needs the release.
    """
    lead = await get_lead(uow, lead_id)
    if lead.status is not LeadStatus.HELD:
        raise _wrong_state(
            lead, "reply.not_held", "is not held (it is {status}): only a held lead can be released"
        )
    if lead.hold_reason is HoldReason.NO_CONSENT or not lead.consent_partner_contact:
        if not consent:
            raise InvalidInput(
                f"lead {lead_id} has no consent to be shared with partners; release it only "
                "with consent (console: 'release <id> consent', CLI: --consent)",
                key="reply.release_needs_consent",
                lead_id=lead_id,
            )
        lead.consent_partner_contact = True
        lead.consent_given_at = uow.clock.now()
    lead.hold_reason = None
    outcome = await start_round(uow, lead, actor)
    await uow.commit()
    return outcome


async def reoffer(uow: UnitOfWork, lead_id: int, actor: Actor) -> RoundOutcome:
    """Send an unmatched or unclaimed lead to matching again (e.g. after new partners)."""
    lead = await get_lead(uow, lead_id)
    if lead.status not in (LeadStatus.UNMATCHED, LeadStatus.UNCLAIMED):
        raise _wrong_state(
            lead,
            "reply.not_reofferable",
            "is {status}: only an unmatched or unclaimed lead can be offered again",
        )
    outcome = await start_round(uow, lead, actor)
    await uow.commit()
    return outcome


async def staff_recall(uow: UnitOfWork, lead_id: int, actor: Actor) -> RoundOutcome:
    lead = await get_lead(uow, lead_id)
    if lead.status not in OWNED:
        raise _wrong_state(
            lead,
            "reply.not_recallable",
            "is {status}: only a lead a partner has claimed and not closed can be recalled",
        )
    outcome = await recall(uow, lead, actor, "staff")
    await uow.commit()
    return outcome


async def erase(uow: UnitOfWork, lead_id: int, actor: Actor) -> bool:
    """Remove the lead's personal data everywhere; keep the anonymous statistics. Commits.

    Deletes the personal-data row, scrubs free text from the audit trail and from stored
    webhook payloads, withdraws open teasers, cancels timers and replaces the owner's lead
    card (which showed the details) with an "erased" card. Tombstones (keyed hashes) of
    the external_id and the contact e-mail keep the lead from coming back
    (:mod:`bot.crm.erased_leads`).

    Returns whether this call erased the lead: False when it was erased before, and then
    nothing changes. An erasure request is fulfilled either way, so the CLI, the chat verb
    and the CRM API's ``DELETE`` all answer it as a success. The status is read under the
    lead's lock: an erasure committed meanwhile by another process (two ``DELETE`` requests,
    or ``leadbot erase`` beside one) is seen here, never refused as an illegal transition.
    """
    lead = await get_lead(uow, lead_id)
    if lead.status is LeadStatus.ERASED:
        return False
    owner = lead.owner_rep_id
    change_status(uow, lead, LeadStatus.ERASED, actor)
    now = uow.clock.now()
    lead.erased_at = now
    lead.hold_reason = None  # erased, no longer held: the CRM API showed the old reason
    personal = await uow.session.get(LeadPersonalData, lead.id)
    await bury(
        uow.session,
        uow.settings,
        lead.id,
        now,
        external_id=lead.external_id,
        email=personal.contact_email if personal is not None else None,
    )
    lead.external_id = None
    if personal is not None:
        await uow.session.delete(personal)
    events = (
        await uow.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id))
    ).all()
    for event in events:
        if any(key in event.detail for key in FREE_TEXT_DETAIL_KEYS):
            event.detail = {k: v for k, v in event.detail.items() if k not in FREE_TEXT_DETAIL_KEYS}
    await close_open_offers(uow, lead, OfferStatus.CLOSED, "withdrawn")
    await cancel_timers(uow, lead.id)
    await forget_lead_news(uow, lead.id)  # headlines about the company identify it
    await scrub_lead_deliveries(uow.session, lead.id)
    # Queued messages about this lead that were never sent are dropped: they would only
    # announce a lead that no longer exists.
    await uow.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.lead_id == lead.id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.kind.not_in((NoticeKind.TEASER_CLOSED.value, NoticeKind.LEAD_CARD.value)),
        )
        .values(status=OutboxStatus.SKIPPED, last_error="lead erased")
        .execution_options(synchronize_session=False)
    )
    cards = (
        await uow.session.scalars(
            select(ChatMessage.rep_id)
            .where(ChatMessage.lead_id == lead.id, ChatMessage.kind == MessageKind.LEAD_CARD)
            .distinct()
        )
    ).all()
    for rep_id in {*cards, owner} - {None}:
        await uow.outbox.enqueue(
            ToRep(rep_id), NoticeKind.LEAD_CARD, {"event": "erased"}, lead_id=lead.id
        )
    await uow.outbox.staff("erased", lead_id=lead.id)
    await uow.commit()
    return True
