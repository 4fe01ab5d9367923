"""A rep who leaves their partner leaves its leads behind — with the partner, not with them.

``leadbot reps import`` may move a rep to another partner (they changed employer, perhaps
to a competitor) or deactivate them (``--deactivate-missing``). The leads they claimed
belong to the partner's relationship with the prospect, so each open one stays with the
partner and passes to a colleague: a manager of the partner first, else the active rep
with the fewest open leads there (then the one imported first). The colleague gets the
full card and a line saying why; staff see it in the feed. A partner with no active rep
left cannot work the lead: it is recalled (reason ``owner_left``, not counted as a missed
deadline) and offered to other partners, like any recall.

The departed rep gets nothing more about those leads: the card, reminders, news and sales
kit follow the owner (read when each notice is sent, :mod:`bot.delivery.resolve`), and
their card in the chat is edited into a line without the prospect's data where the bot
can edit it (Slack, Telegram, console — never a new message). So are the cards of their
won and lost leads, and of colleagues' leads they opened (``/leads 12``): those leads
stay with the partner the rep left (:func:`_take_off_other_cards`). Reports and ``lead <id>``
are refused already: a moved rep's partner no longer owns the lead, and a deactivated rep
is nobody the chats know.

Each lead gets an ``owner_left`` event (the cockpit's timeline, ``explain``): who left,
why (``moved``/``deactivated``) and who has the lead now. The claim deadline keeps running
for the partner (it counts from the claim, :mod:`bot.leads.scheduler`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from bot.actors import Actor
from bot.delivery.notices import NoticeKind
from bot.leads.cards import card_platforms, edit_colleague_cards, give_card, take_off_cards
from bot.leads.events import record
from bot.leads.lifecycle import OWNED
from bot.leads.locks import lead_for_update
from bot.leads.progress import recall
from bot.models import ChatMessage, Lead, MessageKind, Partner, Platform, Rep
from bot.uow import UnitOfWork

OWNER_LEFT = "owner_left"
"""The event kind, and the card event that takes the lead off the departed rep's card."""
COLLEAGUE_LEFT = "colleague_left"
"""The card event of a colleague's lead the departed rep had opened."""
MOVED, DEACTIVATED = "moved", "deactivated"
"""Why a rep left their partner (the ``reason`` of the ``owner_left`` event)."""


@dataclass
class LeftBehind:
    """What became of the open leads of reps who left (for the import's summary)."""

    handed_over: int = 0
    offered_again: int = 0

    def add(self, other: LeftBehind) -> None:
        self.handed_over += other.handed_over
        self.offered_again += other.offered_again

    def __str__(self) -> str:
        parts = []
        if self.handed_over:
            parts.append(f"{self.handed_over} passed to a colleague")
        if self.offered_again:
            parts.append(f"{self.offered_again} recalled (no active rep left at the partner)")
        return f"open leads of reps who left: {', '.join(parts)}" if parts else ""


async def _successor(uow: UnitOfWork, partner_id: str, leaving: int) -> Rep | None:
    """Who takes the leads over: a manager, else the least busy active rep of the partner."""
    open_leads = (
        select(func.count())
        .select_from(Lead)
        .where(Lead.owner_rep_id == Rep.id, Lead.status.in_(OWNED))
        .scalar_subquery()
    )
    return await uow.session.scalar(
        select(Rep)
        .where(Rep.partner_id == partner_id, Rep.active.is_(True), Rep.id != leaving)
        .order_by(case((Rep.role == "manager", 0), else_=1), open_leads, Rep.id)
        .limit(1)
    )


async def rep_left(
    uow: UnitOfWork, rep: Rep, partner_id: str, reason: str, actor: Actor
) -> LeftBehind:
    """Hand the open leads ``rep`` owns for ``partner_id`` on, or recall them (see above).

    Called after the rep's new partner or inactivity is flushed; the caller commits."""
    result = LeftBehind()
    lead_ids = (
        await uow.session.scalars(
            select(Lead.id)
            .where(
                Lead.owner_rep_id == rep.id,
                Lead.owner_partner_id == partner_id,
                Lead.status.in_(OWNED),
            )
            .order_by(Lead.id)
        )
    ).all()
    partner = await uow.session.get(Partner, partner_id)
    for lead_id in lead_ids:
        lead = await lead_for_update(uow.session, lead_id)
        if lead is None or lead.owner_rep_id != rep.id or lead.status not in OWNED:
            continue
        cards = await card_platforms(uow, lead.id, rep.id, lead.claimed_via)
        successor = await _successor(uow, partner_id, rep.id)
        record(
            uow,
            lead,
            actor,
            OWNER_LEFT,
            partner_id=partner_id,
            reason=reason,
            from_rep=rep.name,
            to_rep=successor.name if successor else None,
        )
        if successor is not None:
            # The successor asked for nothing: their card goes to them wherever they are.
            await give_card(uow, lead, successor.id, None, "claimed")
            await uow.outbox.rep(
                successor.id, NoticeKind.REP_INFO, "handed_over", lead_id=lead.id, rep=rep.name
            )
            # Other colleagues' cards of the lead show who has it now.
            await edit_colleague_cards(
                uow, lead.id, partner_id, "handed_over", besides={rep.id, successor.id}
            )
            await uow.outbox.staff(
                OWNER_LEFT,
                lead_id=lead.id,
                partner=partner.name if partner else partner_id,
                rep=rep.name,
                successor=successor.name,
            )
            result.handed_over += 1
        else:
            await recall(uow, lead, actor, OWNER_LEFT, tell_owner=False)
            result.offered_again += 1
        await take_off_cards(uow, lead.id, rep.id, cards, OWNER_LEFT)
    await _take_off_other_cards(uow, rep.id, partner_id, besides=set(lead_ids))
    return result


async def _take_off_other_cards(
    uow: UnitOfWork, rep_id: int, partner_id: str, *, besides: set[int]
) -> None:
    """The rep's other cards of the partner's leads become one line without the prospect's
    data (one query; an edit only, as for their open leads): their closed leads' (won or
    lost, the customer stays the partner's) with the ``owner_left`` line, and colleagues'
    leads they opened with ``colleague_left``. ``besides``: the open leads they owned,
    whose cards got their line already (a colleague owns those by now)."""
    found = (
        await uow.session.execute(
            select(ChatMessage.lead_id, ChatMessage.platform, Lead.owner_rep_id)
            .join(Lead, Lead.id == ChatMessage.lead_id)
            .where(
                ChatMessage.rep_id == rep_id,
                ChatMessage.kind == MessageKind.LEAD_CARD,
                Lead.owner_partner_id == partner_id,
                Lead.id.not_in(besides),
            )
            .distinct()
        )
    ).all()
    known = {p.value for p in Platform}
    platforms: dict[tuple[int, str], list[Platform]] = {}
    for lead_id, platform, owner in sorted(found, key=lambda row: (row[0], row[1])):
        if lead_id is not None and platform in known:
            event = OWNER_LEFT if owner == rep_id else COLLEAGUE_LEFT
            platforms.setdefault((lead_id, event), []).append(Platform(platform))
    for (lead_id, event), where in platforms.items():
        await take_off_cards(uow, lead_id, rep_id, where, event)
