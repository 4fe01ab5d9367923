"""Resolve an outbox row into the view a renderer needs, from the current database state.

Resolution happens when the row is sent, not when it was queued: a late teaser for a lead
that is already taken, or for a partner paused since it was queued, is dropped, a lead card
always shows the current status, and personal data is read only for the rep who owns the
lead right now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.anonymize import teaser_facts
from bot.delivery.content_views import resolve_content
from bot.delivery.news_views import resolve_news
from bot.delivery.notices import (
    LeadCardView,
    LeadDetails,
    MessageRef,
    MessageView,
    NoticeKind,
    NoticeView,
    TeaserFacts,
    TeaserView,
)
from bot.delivery.outbox import rep_at_address
from bot.directory.availability import is_paused, local_date
from bot.leads.status_reports import available_actions
from bot.models import (
    ChatMessage,
    Lead,
    LeadPersonalData,
    LeadStatus,
    MessageKind,
    Offer,
    OfferStatus,
    OutboxMessage,
    Partner,
    Platform,
    Rep,
)
from bot.reports.digest import digest_view


async def lead_details(session: AsyncSession, lead: Lead) -> LeadDetails | None:
    """The full lead for its owner or staff; None once erased."""
    personal = await session.get(LeadPersonalData, lead.id)
    if personal is None:
        return None
    partner = await session.get(Partner, lead.owner_partner_id) if lead.owner_partner_id else None
    rep = await session.get(Rep, lead.owner_rep_id) if lead.owner_rep_id else None
    return LeadDetails(
        id=lead.id,
        status=lead.status,
        company_name=personal.company_name,
        industry=lead.industry,
        employees=lead.employees,
        annual_revenue_eur=lead.annual_revenue_eur,
        domain=personal.domain,
        ticker=personal.ticker,
        street=personal.street,
        postal_code=personal.postal_code,
        city=personal.city,
        country=lead.country,
        contact_name=personal.contact_name,
        contact_email=personal.contact_email,
        contact_phone=personal.contact_phone,
        contact_role=personal.contact_role,
        products=tuple(lead.products),
        estimated_value_eur=lead.estimated_value_eur,
        timeline=lead.timeline,
        message=personal.message,
        campaign=lead.campaign,
        score=lead.score,
        created_at=lead.created_at,
        claimed_at=lead.claimed_at,
        follow_up_on=lead.follow_up_on,
        revenue_eur=lead.revenue_eur,
        lost_reason=lead.lost_reason,
        partner_name=partner.name if partner else None,
        rep_name=rep.name if rep else None,
    )


_TO_PARTNER = (NoticeKind.TEASER.value, NoticeKind.TEASER_CLOSED.value)
_TO_STAFF = (NoticeKind.STAFF.value, NoticeKind.DIGEST.value)


async def language_of(
    session: AsyncSession, row: OutboxMessage, settings: Settings, rep: Rep | None
) -> str:
    if row.kind in _TO_STAFF:
        return settings.staff.language
    if row.kind in _TO_PARTNER:
        offer = await session.get(Offer, row.payload.get("offer_id"))
        partner = await session.get(Partner, offer.partner_id) if offer else None
        return partner.language if partner else "de"
    return rep.language if rep and rep.language in ("de", "en") else "de"


async def _rep_name(session: AsyncSession, rep_id: object) -> str | None:
    rep = await session.get(Rep, rep_id) if isinstance(rep_id, int) else None
    return rep.name if rep else None


def _changed_by(payload: dict[str, Any], rep_id: int) -> str | None:
    """Who to name on the card: the colleague an owner's card names (``colleague``), or on
    a colleague's card the rep who made the change (``by``) — unless that is its reader."""
    if payload.get("colleague_card") and payload.get("by_rep") != rep_id:
        return payload.get("by") or payload.get("colleague")
    return payload.get("colleague")


async def _paused(session: AsyncSession, offer: Offer, settings: Settings, now: datetime) -> bool:
    """Whether the offer's partner is paused now: "a paused partner gets no teasers" holds
    for teasers queued before the pause too. The offer stays open (a pause is no decline).

    The partner is already in the session (:func:`preload`, :func:`language_of`), so this
    asks the database nothing.
    """
    partner = await session.get(Partner, offer.partner_id)
    return partner is not None and is_paused(partner, local_date(settings, now))


async def find_ref(
    session: AsyncSession, row: OutboxMessage, kind: MessageKind, **where: object
) -> MessageRef | None:
    query = select(ChatMessage).where(
        ChatMessage.platform == row.platform,
        ChatMessage.chat_id == row.address,
        ChatMessage.kind == kind,
    )
    for column, value in where.items():
        query = query.where(getattr(ChatMessage, column) == value)
    message = await session.scalar(query.order_by(ChatMessage.id.desc()).limit(1))
    return MessageRef(message.chat_id, message.message_id) if message else None


_PRELOADED = "delivery.preloaded"


async def preload(session: AsyncSession, rows: Sequence[OutboxMessage]) -> None:
    """Load the offers and partners a batch of rows refers to, two queries for all of them.

    :func:`resolve` then finds them in the session (``session.get`` asks no database), so
    a batch of 100 teasers costs two queries instead of several per teaser. The session's
    identity map holds unchanged objects only weakly, so the loaded rows are kept in
    ``session.info`` for as long as the session lives; dropped, they would be forgotten at
    once and every ``session.get`` would read them again.
    """
    offer_ids = {
        int(row.payload["offer_id"])
        for row in rows
        if row.kind in _TO_PARTNER and isinstance(row.payload.get("offer_id"), int)
    }
    if not offer_ids:
        return
    offers = (await session.scalars(select(Offer).where(Offer.id.in_(offer_ids)))).all()
    partner_ids = {offer.partner_id for offer in offers}
    partners = (
        (await session.scalars(select(Partner).where(Partner.id.in_(partner_ids)))).all()
        if partner_ids
        else []
    )
    session.info[_PRELOADED] = (offers, partners)


async def resolve(
    session: AsyncSession, row: OutboxMessage, settings: Settings, now: datetime
) -> tuple[NoticeView, MessageRef | None] | None:
    """The view to render and the message to edit (if any); None if the row is obsolete.

    ``now`` is the moment of sending by the runtime's clock (content valid "today").
    """
    to_rep = row.kind not in _TO_PARTNER and row.kind not in _TO_STAFF
    rep = await rep_at_address(session, Platform(row.platform), row.address) if to_rep else None
    language = await language_of(session, row, settings, rep)
    kind = NoticeKind(row.kind)
    payload = row.payload
    if kind is NoticeKind.TEASER:
        offer = await session.get(Offer, payload["offer_id"])
        if offer is None or offer.status is not OfferStatus.OPEN:
            return None
        if await _paused(session, offer, settings, now):
            return None
        expires = payload.get("expires_at")
        view = TeaserView(
            offer_id=offer.id,
            lead_id=offer.lead_id,
            facts=TeaserFacts.from_json(payload["facts"]),
            wave=int(payload.get("wave", 1)),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            language=language,
        )
        return view, None
    if kind is NoticeKind.TEASER_CLOSED:
        offer = await session.get(Offer, payload["offer_id"])
        if offer is None:
            return None
        ref = await find_ref(session, row, MessageKind.TEASER, offer_id=offer.id)
        if ref is None:
            return None  # the teaser never went out: nothing to edit
        lead = await session.get(Lead, offer.lead_id)
        assert lead is not None
        known = frozenset(p.id for p in settings.products) or None
        view = TeaserView(
            offer_id=offer.id,
            lead_id=lead.id,
            facts=teaser_facts(lead, known),
            wave=offer.wave,
            expires_at=None,
            language=language,
            closed=str(payload.get("reason", "taken")),
            closed_by=await _rep_name(session, payload.get("rep_id")),
        )
        return view, ref
    if kind is NoticeKind.LEAD_CARD:
        lead = await session.get(Lead, row.lead_id)
        if lead is None or rep is None:
            return None
        # Its owner sees the lead while still at its partner (a closed lead stays with the
        # partner when its rep leaves); so does a colleague at the partner that has it now,
        # on a card they opened (``colleague_card``) — not the rep a card was taken off.
        with_partner = lead.owner_partner_id is not None and rep.partner_id == lead.owner_partner_id
        team = bool(payload.get("colleague_card")) and rep.active and with_partner
        mine = lead.owner_rep_id == rep.id and rep.active and with_partner
        owner = (mine or team) and lead.status is not LeadStatus.ERASED
        details = await lead_details(session, lead) if owner else None
        ref = await find_ref(session, row, MessageKind.LEAD_CARD, lead_id=lead.id, rep_id=rep.id)
        if payload.get("edit_only") and ref is None:
            return None  # a card taken from a rep who left: changed in place, never news
        if payload.get("new_card"):
            # The lead became this rep's (again): a message of its own, which pings, not an
            # edit of the card they had before (it keeps saying who took it or that it went).
            ref = None
        view = LeadCardView(
            lead_id=lead.id,
            status=lead.status,
            event=str(payload.get("event", "update")),
            lead=details,
            actions=tuple(a.value for a in available_actions(lead.status)) if owner else (),
            language=language,
            colleague=_changed_by(payload, rep.id),
            edit_only=bool(payload.get("edit_only")),
        )
        return view, ref
    if kind is NoticeKind.DIGEST:
        return await digest_view(session, settings, payload, row.created_at), None
    if kind is NoticeKind.CONTENT:
        content = await resolve_content(session, row, settings, language, rep, now)
        return (content, None) if content is not None else None
    if kind is NoticeKind.NEWS:
        news = await resolve_news(session, row, language, rep)
        return (news, None) if news is not None else None
    params = dict(payload.get("params", {}))
    if row.lead_id is not None:
        lead = await session.get(Lead, row.lead_id)
        if kind is NoticeKind.REMINDER and (
            lead is None or rep is None or lead.owner_rep_id != rep.id
        ):
            return None  # reminders are the owner's; one queued for a rep who left is not
        if lead is not None:
            facts = teaser_facts(lead)
            params.setdefault("region", facts.region)
            params.setdefault("products", list(facts.products))
    return (
        MessageView(
            kind=kind,
            event=str(payload.get("event", kind.value)),
            language=language,
            lead_id=row.lead_id,
            params=params,
        ),
        None,
    )
