"""Sending sales content to the rep who owns a lead: the pack after the claim
(:func:`send_content_pack`, in the claim's transaction) and the updates a library sync
finds due (:func:`push_updates`).

Both choose from the stored ``content_items`` (:mod:`bot.content.service` syncs them from
disk), and ``content_deliveries`` records the version each rep got per lead, so an update
goes out once and the whole pack never twice. Outbox payloads hold item keys and versions
only; the text is read when the message is sent (:mod:`bot.delivery.content_views`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import ItemKind, ItemText, LibraryItem
from bot.content.packs import OpenLead, Push, lead_context, plan_updates, select_pack
from bot.content.staff_notes import no_kit
from bot.delivery.notices import NoticeKind, ToRep
from bot.directory.availability import local_today
from bot.leads.lifecycle import OWNED
from bot.models import ContentDelivery, ContentItem, Lead, Platform
from bot.platform import claim_platform
from bot.uow import UnitOfWork

log = logging.getLogger(__name__)


def as_item(row: ContentItem) -> LibraryItem:
    return LibraryItem(
        key=row.key,
        kind=ItemKind(row.kind),
        line=row.line,
        texts={lang: ItemText(t["title"], t["body"]) for lang, t in row.texts.items()},
        industries=tuple(row.industries),
        products=tuple(row.products),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        url=row.url,
        source=row.source,
        version=row.version,
    )


def _readable(rows: Iterable[ContentItem]) -> list[LibraryItem]:
    """Stored items; a damaged row is skipped (and logged) rather than failing a claim."""
    items = []
    for row in rows:
        try:
            items.append(as_item(row))
        except (KeyError, TypeError, ValueError, AttributeError):
            log.error("content item %r in the database is damaged; skipped", row.key)
    return items


async def _record(
    uow: UnitOfWork, rep_id: int, event: str, entries: Sequence[tuple[int, LibraryItem]]
) -> None:
    """Remember which version went to ``rep_id`` for which lead (insert or update)."""
    session = uow.session
    now = uow.clock.now()
    lead_ids = {lead_id for lead_id, _ in entries}
    existing = {
        (d.lead_id, d.item_key): d
        for d in await session.scalars(
            select(ContentDelivery).where(
                ContentDelivery.rep_id == rep_id, ContentDelivery.lead_id.in_(lead_ids)
            )
        )
    }
    for lead_id, item in entries:
        row = existing.get((lead_id, item.key))
        if row is None:
            row = ContentDelivery(lead_id=lead_id, rep_id=rep_id, item_key=item.key)
            session.add(row)
        row.version, row.event, row.at = item.version, event, now


async def send_content_pack(
    uow: UnitOfWork,
    lead: Lead,
    rep_id: int,
    platform: Platform | None = None,
    *,
    tell_staff: bool = True,
) -> int:
    """Queue the content pack for the lead's new owner (in the claim's transaction, or a
    hand-over's inside the partner).

    Returns how many items it holds; 0 when no content fits the lead: then nothing goes
    to the rep, and staff are told (a staff-feed line) unless ``tell_staff`` is False.
    """
    context = lead_context(lead.products, lead.industry, uow.settings.products)
    if not context.lines:
        if tell_staff:
            await no_kit(uow, lead)
        return 0
    rows = await uow.session.scalars(
        select(ContentItem).where(
            ContentItem.line.in_(sorted(context.lines)), ContentItem.removed_at.is_(None)
        )
    )
    today = local_today(uow)  # offers are valid per day in the manufacturer's time zone
    pack = select_pack(_readable(rows), context, today)
    if not pack:
        if tell_staff:
            await no_kit(uow, lead)
        return 0
    payload = {
        "event": "pack",
        "lead_ids": [lead.id],
        "items": [{"key": i.key, "version": i.version, "change": None} for i in pack],
    }
    queued = await uow.outbox.enqueue(
        ToRep(rep_id, platform), NoticeKind.CONTENT, payload, lead_id=lead.id
    )
    if queued:
        await _record(uow, rep_id, "pack", [(lead.id, i) for i in pack])
    return len(pack)


async def open_leads(session: AsyncSession, settings: Settings) -> list[OpenLead]:
    rows = await session.execute(
        select(Lead.id, Lead.owner_rep_id, Lead.claimed_via, Lead.products, Lead.industry).where(
            Lead.status.in_(OWNED), Lead.owner_rep_id.is_not(None)
        )
    )
    return [
        OpenLead(lead_id, rep_id, claimed_via, lead_context(products, industry, settings.products))
        for lead_id, rep_id, claimed_via, products, industry in rows
    ]


async def push_updates(uow: UnitOfWork, items: Sequence[LibraryItem]) -> list[Push]:
    """Queue every update due for owners of open leads; returns what was queued."""
    leads = await open_leads(uow.session, uow.settings)
    delivered = {
        (d.lead_id, d.rep_id, d.item_key): d.version
        for d in await uow.session.scalars(
            select(ContentDelivery)
            .join(Lead, Lead.id == ContentDelivery.lead_id)
            .where(Lead.status.in_(OWNED), Lead.owner_rep_id == ContentDelivery.rep_id)
        )
    }
    today = local_today(uow)  # offers are valid per day in the manufacturer's time zone
    queued = []
    for push in plan_updates(items, leads, delivered, today):
        payload = {
            "event": "update",
            "lead_ids": list(push.lead_ids),
            "items": [
                {"key": p.item.key, "version": p.item.version, "change": p.change}
                for p in push.items
            ],
        }
        lead_id = push.lead_ids[0] if len(push.lead_ids) == 1 else None
        rows = await uow.outbox.enqueue(
            ToRep(push.rep_id, claim_platform(push.platform)),
            NoticeKind.CONTENT,
            payload,
            lead_id=lead_id,
        )
        if rows:
            entries = [(lead, p.item) for p in push.items for lead in p.lead_ids]
            await _record(uow, push.rep_id, "update", entries)
            queued.append(push)
    return queued
