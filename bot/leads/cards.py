"""Where a rep's lead card lives — the only places its updates go.

The claim hands the full lead to the claiming rep on the platform they claimed from. A
report, a hand-back or a recall changes the card: the change is an edit of that card (a
new mail on e-mail, which cannot be edited), not a new full card on every platform the
rep has an account on. A rep who claimed on Telegram and also has a Slack id got the whole
lead — the prospect's personal data — as a new Slack DM when a colleague reported from
Slack; the colleague's own confirmation is the answer to their report, on the platform they
used (:meth:`bot.chat.interactions.Interactions.report`).

A card lives on the claim platform (``leads.claimed_via``) and wherever the rep opened it
as a card that the outbox keeps editing (a ``chat_messages`` row of kind ``lead_card``:
Telegram's ``/lead 12``, Slack's ``/leads 12``).

Colleagues of the owner — reps of the same partner — may open the card too. Theirs is kept
current with the owner's (:func:`edit_colleague_cards`): edited, never sent anew (a
colleague asked for no news), to what they may see when the edit is sent — the current
card while the lead is with their partner, one line without the prospect's data once it
left (:mod:`bot.delivery.resolve`). A card taken off its rep (hand-back, recall, takeover,
departure) is no live card any more (:mod:`bot.delivery.outcomes`): a later change of the
lead does not bring the prospect back onto it.

When a lead changes hands inside its partner — its rep left (:mod:`bot.directory.departures`)
or a colleague took it over (:mod:`bot.leads.takeover`) — :func:`give_card` makes the new
owner's card and :func:`take_off_cards` turns the old owner's into one line without the
prospect's data, where it is (an edit only: no card there, nothing). A card for a new owner
(a claim, a takeover, a successor) is a new message — it notifies, where an edit does not —
whatever card of the lead the rep had before. The new owner gets
the lead's sales kit with the card, once (:func:`bot.content.sending.send_content_pack`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.delivery.notices import NoticeKind, ToRep
from bot.models import ChatMessage, Lead, MessageKind, Platform, Rep
from bot.uow import UnitOfWork


async def card_platforms(
    uow: UnitOfWork, lead_id: int, rep_id: int, claimed_via: str | None
) -> list[Platform]:
    """The platforms where ``rep_id`` has the card of ``lead_id``, in a stable order."""
    found = set(
        await uow.session.scalars(
            select(ChatMessage.platform)
            .where(
                ChatMessage.lead_id == lead_id,
                ChatMessage.rep_id == rep_id,
                ChatMessage.kind == MessageKind.LEAD_CARD,
            )
            .distinct()
        )
    )
    if claimed_via:
        found.add(claimed_via)
    known = {p.value for p in Platform}
    return sorted((Platform(p) for p in found if p in known), key=lambda p: p.value)


async def update_card(
    uow: UnitOfWork,
    lead_id: int,
    rep_id: int,
    claimed_via: str | None,
    event: str,
    colleague: str | None = None,
    *,
    partner_id: str | None,
    by: tuple[int, str] | None = None,
) -> None:
    """Queue the card's update for ``rep_id`` where their card lives, and for the cards
    the other reps of ``partner_id`` (the partner that had the lead) opened.

    ``claimed_via`` and ``partner_id`` are read by the caller before anything clears them
    (a hand-back does). A lead without any known place (claimed before leadbot recorded
    the claim platform) gets it on every platform of the rep, as before. ``colleague``: the
    name of the rep of the same partner who made the change, when it was not the owner (the
    owner's card says so). ``by``: the rep who made it (id, name), owner or not — the
    colleagues' cards say so to everyone but them.
    """
    platforms = await card_platforms(uow, lead_id, rep_id, claimed_via)
    audiences = [ToRep(rep_id, p) for p in platforms] or [ToRep(rep_id)]
    payload = {"event": event, **({"colleague": colleague} if colleague else {})}
    for audience in audiences:
        await uow.outbox.enqueue(audience, NoticeKind.LEAD_CARD, payload, lead_id=lead_id)
    changer = {"by_rep": by[0], "by": by[1]} if by else {}
    await edit_colleague_cards(uow, lead_id, partner_id, event, besides={rep_id}, **changer)


async def edit_colleague_cards(
    uow: UnitOfWork,
    lead_id: int,
    partner_id: str | None,
    event: str,
    *,
    besides: set[int],
    **params: Any,
) -> None:
    """Queue an edit of every card of ``lead_id`` that an active rep of ``partner_id`` other
    than ``besides`` (the owner, and who got a card of their own in this change) has —
    one query for all of them, one edit per rep and platform.

    What each card then shows is decided when it is sent, for its rep
    (``colleague_card``, :func:`bot.delivery.resolve.resolve`); ``edit_only``: a rep
    whose card is gone gets nothing — a colleague's card never brings news. A colleague's
    card is one the chat recorded when they opened it
    (:meth:`bot.chat.interactions.Interactions.card_shown`); an owner's card taken off them
    is no card any more (:mod:`bot.delivery.outcomes`).
    """
    if partner_id is None:
        return
    found = (
        await uow.session.execute(
            select(ChatMessage.rep_id, ChatMessage.platform)
            .join(Rep, Rep.id == ChatMessage.rep_id)
            .where(
                ChatMessage.lead_id == lead_id,
                ChatMessage.kind == MessageKind.LEAD_CARD,
                Rep.partner_id == partner_id,
                Rep.active.is_(True),
                Rep.id.not_in(besides),
            )
            .distinct()
        )
    ).all()
    payload = {"event": event, "edit_only": True, "colleague_card": True, **params}
    for rep_id, platform in sorted(found):
        await uow.outbox.enqueue(
            ToRep(rep_id, Platform(platform)), NoticeKind.LEAD_CARD, payload, lead_id=lead_id
        )


async def give_card(
    uow: UnitOfWork, lead: Lead, rep_id: int, via: Platform | None, event: str
) -> None:
    """Make ``rep_id`` the owner of ``lead`` and queue their full card.

    ``via``: the platform the new owner asked from, where their card lives from now on;
    None when they did not ask (every platform of theirs gets it). The status, follow-up
    date and claim deadline stay: they are the partner's."""
    previous = lead.owner_rep_id
    lead.owner_rep_id = rep_id
    lead.claimed_via = via.value if via is not None else None
    # A new message where they asked (a card they had before — a lead taken back from a
    # colleague — keeps its line saying who took it), not an edit that does not ping.
    await uow.outbox.enqueue(
        ToRep(rep_id, via),
        NoticeKind.LEAD_CARD,
        {"event": event, "new_card": True},
        lead_id=lead.id,
    )
    if previous is not None and previous != rep_id:
        # Imported here: content.sending reads the directory package, whose departures
        # import this module.
        from bot.content.sending import send_content_pack

        # The new owner has not seen the sales kit: it comes with the lead, once, as the
        # claimer's did (its record then keeps the next content sync from sending it as
        # "new"); staff heard at the claim when no kit fits the lead.
        await send_content_pack(uow, lead, rep_id, via, tell_staff=False)


async def take_off_cards(
    uow: UnitOfWork, lead_id: int, rep_id: int, platforms: list[Platform], event: str, **params: Any
) -> None:
    """Edit the card ``rep_id`` has of ``lead_id`` on each of ``platforms`` (read with
    :func:`card_platforms` before the owner changed) into the line ``card.<event>``: an edit
    only — where no card was shown, nothing is sent (:mod:`bot.delivery.resolve`)."""
    for platform in platforms:
        await uow.outbox.enqueue(
            ToRep(rep_id, platform),
            NoticeKind.LEAD_CARD,
            {"event": event, "edit_only": True, **params},
            lead_id=lead_id,
        )
