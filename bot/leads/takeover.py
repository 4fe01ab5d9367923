"""A colleague takes a lead over: the lead stays with the partner, another of its reps owns it.

A lead belongs to the partner; the rep who claimed it is its owner (``owner_rep_id``), the
one who gets the card, the reminders, the news and the sales kit. When they are sick, on
holiday or overloaded, any active rep of the same partner — sales or manager — may make
the lead theirs with ``takeover <lead>`` (``übernehmen``), from any chat. Staff may not:
they recall or assign leads between partners, and have no place inside one.

In one transaction: the caller becomes the owner; the status, the follow-up date, the claim
deadline and its timers stay (the deadline is the partner's, counted from the claim,
:mod:`bot.leads.scheduler`). The caller gets the full card on the platform they asked
from; the previous owner's card is edited into a line without the prospect's data that
names the colleague who has it now, and they get nothing more about it — reminders, news
and sales content follow the owner when each is sent (:mod:`bot.delivery.resolve`), as
when a rep leaves the partner (:mod:`bot.directory.departures`, whose card helpers this
shares). Staff see it in the feed, the cockpit's timeline by the ``taken_over`` event (from
and to which rep). No webhook: an owner change inside the partner is no lifecycle step
(departures send none either); the read API's change feed shows the new owner.

Refusals change nothing and say why in the caller's words: an unknown lead, a lead of
another partner, a lead not open (``claimed`` … ``proposal``), a lead that is the caller's
already, a caller (or partner) no longer active.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.actors import Actor
from bot.errors import NotAllowed, NotFound
from bot.leads.cards import card_platforms, edit_colleague_cards, give_card, take_off_cards
from bot.leads.events import record
from bot.leads.lifecycle import OWNED
from bot.leads.locks import lead_for_update
from bot.models import Channel, Partner, Platform, Rep
from bot.uow import UnitOfWork

TAKEN_OVER = "taken_over"
"""The event kind, the staff-feed event and the card event on both reps' cards."""


@dataclass(frozen=True)
class TakenOver:
    lead_id: int
    previous: str | None  # the name of the rep who had the lead (None: nobody named)


async def _caller(uow: UnitOfWork, rep_id: int) -> tuple[Rep, Partner]:
    """The rep taking over, with their partner; refused unless both are active.

    The rep's row is locked (PostgreSQL) before the lead's, as ``reps import`` locks it
    by its update before it passes the rep's leads on: a takeover racing an import that
    deactivates the rep waits for it and sees the rep as it decided — it never makes a
    rep who is leaving the owner (and sends them the prospect's data)."""
    rep = await uow.session.scalar(
        select(Rep)
        .where(Rep.id == rep_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    partner = await uow.session.get(Partner, rep.partner_id) if rep is not None else None
    if rep is None or partner is None or not rep.active or not partner.active:
        raise NotAllowed(f"rep {rep_id} is not active", key="takeover.inactive")
    return rep, partner


async def take_over(uow: UnitOfWork, lead_id: int, rep_id: int, via: Platform) -> TakenOver:
    """Make ``rep_id`` the owner of ``lead_id`` (see above). Commits; a refusal raises
    :class:`~bot.errors.ServiceError` and changes nothing."""
    rep, partner = await _caller(uow, rep_id)
    lead = await lead_for_update(uow.session, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist", key="reply.not_found", lead_id=lead_id)
    if lead.owner_partner_id != partner.id:
        raise NotAllowed(
            f"lead {lead_id} is not one of your partner's leads",
            key="reply.not_yours",
            lead_id=lead_id,
        )
    if lead.status not in OWNED:
        raise NotAllowed(
            f"lead {lead_id} is {lead.status.value}; only an open lead can be taken over",
            key="takeover.not_open",
            lead_id=lead_id,
            status=lead.status.value,
        )
    if lead.owner_rep_id == rep.id:
        raise NotAllowed(
            f"lead {lead_id} is yours already", key="takeover.already_yours", lead_id=lead_id
        )
    previous = await uow.session.get(Rep, lead.owner_rep_id) if lead.owner_rep_id else None
    cards = await card_platforms(uow, lead.id, previous.id, lead.claimed_via) if previous else []
    actor = Actor.rep(Channel(via.value), rep.id, partner.id, rep.name)
    record(
        uow,
        lead,
        actor,
        TAKEN_OVER,
        from_rep=previous.name if previous else None,
        to_rep=rep.name,
    )
    await give_card(uow, lead, rep.id, via, TAKEN_OVER)
    if previous is not None:
        await take_off_cards(uow, lead.id, previous.id, cards, TAKEN_OVER, colleague=rep.name)
    # Other colleagues' cards of the lead show its new owner.
    besides = {rep.id} | ({previous.id} if previous is not None else set())
    await edit_colleague_cards(uow, lead.id, partner.id, TAKEN_OVER, besides=besides)
    await uow.outbox.staff(
        TAKEN_OVER,
        lead_id=lead.id,
        partner=partner.name,
        rep=previous.name if previous else None,
        successor=rep.name,
    )
    await uow.commit()
    return TakenOver(lead.id, previous.name if previous else None)
