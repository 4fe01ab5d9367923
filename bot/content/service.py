"""Sales content for the rep who owns a lead: the pack after the claim, updates while it is open.

The library on disk is validated and its valid items are synced into ``content_items``
(an item with a problem keeps the version published before, if any): the pack at claim
time is chosen from that table, so a broken item never reaches a rep and every process
sends the same content. Problems, and claims for which no item fits, go to the staff feed
(:mod:`bot.content.staff_notes`). ``content_deliveries``
records the version each rep got per lead, so a sync sends only new or changed items, once,
and never the whole pack again.

Outbox payloads hold item keys and versions only; the text is read when the message is sent
(``bot.delivery.content_views``), so an offer that expired or was edited while the message waited
is not sent in its stale form.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import (
    ItemKind,
    ItemText,
    Library,
    LibraryError,
    LibraryItem,
    library_path,
    load_library,
)
from bot.content.packs import OpenLead, Push, lead_context, plan_updates, select_pack
from bot.content.staff_notes import no_kit, report_problems
from bot.content.summary import SyncSummary
from bot.delivery.notices import NoticeKind, ToRep
from bot.directory.availability import local_today
from bot.leads.lifecycle import OWNED
from bot.models import ContentDelivery, ContentItem, Lead, Platform
from bot.runtime import Runtime
from bot.schemawatch import wait_if_behind
from bot.uow import UnitOfWork

log = logging.getLogger(__name__)

SYNC_ATTEMPTS = 3


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


def _store(row: ContentItem, item: LibraryItem) -> None:
    row.version = item.version
    row.kind = item.kind.value
    row.line = item.line
    row.industries = list(item.industries)
    row.products = list(item.products)
    row.valid_from = item.valid_from
    row.valid_until = item.valid_until
    row.texts = item.texts_json()
    row.url = item.url
    row.source = item.source


def _platform(value: str | None) -> Platform | None:
    try:
        return Platform(value) if value else None
    except ValueError:
        return None


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
    uow: UnitOfWork, lead: Lead, rep_id: int, platform: Platform | None = None
) -> int:
    """Queue the content pack for the lead's new owner (in the claim's transaction).

    Returns how many items it holds; 0 when no content fits the lead: then nothing goes
    to the rep, and staff are told (a staff-feed line).
    """
    context = lead_context(lead.products, lead.industry, uow.settings.products)
    if not context.lines:
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
            ToRep(push.rep_id, _platform(push.platform)),
            NoticeKind.CONTENT,
            payload,
            lead_id=lead_id,
        )
        if rows:
            entries = [(lead, p.item) for p in push.items for lead in p.lead_ids]
            await _record(uow, push.rep_id, "update", entries)
            queued.append(push)
    return queued


def _kept(row: ContentItem, library: Library) -> bool:
    """Whether a stored item missing from ``library`` only has a problem now (keep it)."""
    return row.key in library.held_keys or row.source in library.held_files


async def _apply(uow: UnitOfWork, library: Library, report: str) -> SyncSummary:
    now = uow.clock.now()
    stored = {r.key: r for r in await uow.session.scalars(select(ContentItem))}
    new = changed = removed = 0
    for item in library.items:
        row = stored.get(item.key)
        if row is None:
            row = ContentItem(key=item.key, created_at=now, updated_at=now)
            _store(row, item)
            uow.session.add(row)
            new += 1
        elif (
            row.version != item.version
            or row.removed_at is not None
            or (list(row.industries), list(row.products))
            != (list(item.industries), list(item.products))
        ):
            _store(row, item)
            row.updated_at, row.removed_at = now, None
            changed += 1
        elif row.source != item.source:
            row.source = item.source  # moved to another file: not a change a rep sees
    keys = {i.key for i in library.items}
    for key, row in stored.items():
        if key not in keys and row.removed_at is None and not _kept(row, library):
            row.removed_at = now
            removed += 1
    await uow.session.flush()
    pushes = await push_updates(uow, library.items)
    await report_problems(uow, library.problems)
    return SyncSummary(
        ok=True,
        files=len(library.files),
        items=len(library.items),
        new=new,
        changed=changed,
        removed=removed,
        messages=len(pushes),
        reps=len({p.rep_id for p in pushes}),
        problems=library.problems,
        report=report,
    )


async def sync_library(runtime: Runtime) -> SyncSummary:
    """Load the library from disk, record its valid items and push what changed.

    Called at start, by ``leadbot content reload`` and periodically. Items with a problem
    are skipped (a version of them published before stays in use) and reported: in the
    summary, and once per distinct set of problems in the staff feed. Only a library that
    cannot be read at all (no directory) changes nothing.
    """
    settings = runtime.settings
    path = library_path(settings)
    try:
        library = await asyncio.to_thread(load_library, path, settings.products)
    except LibraryError as exc:
        return SyncSummary(ok=False, error=str(exc))
    report = library.report(str(path))
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            async with runtime.uow() as uow:
                summary = await _apply(uow, library, report)
                await uow.commit()
                return summary
        except IntegrityError:
            # Another process synced or a claim recorded a delivery at the same moment;
            # its rows are committed now, so a fresh pass sees them and sends no duplicate.
            if attempt == SYNC_ATTEMPTS:
                raise
            log.info("content sync raced with another writer; retrying")
    raise AssertionError("unreachable")


async def content_loop(runtime: Runtime) -> None:
    """Re-sync every ``[content] recheck_minutes``: offers whose start date has come go out.

    Problems are logged once per distinct set of problems, not every pass.
    """
    minutes = runtime.settings.content.recheck_minutes
    if minutes <= 0:
        return
    last: str | None = None
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            summary = await sync_library(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not await wait_if_behind(exc):
                log.exception("content sync failed; retrying at the next pass")
            continue
        now = summary.error or summary.report
        if now and now != last:
            (log.error if not summary.ok else log.warning)("%s", summary)
        elif summary.ok and (summary.messages or summary.new or summary.changed):
            log.info("%s", summary)
        last = now
