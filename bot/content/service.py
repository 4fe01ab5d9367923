"""The content library kept in step with the disk: load, validate, store, push changes.

The library on disk is validated and its valid items are synced into ``content_items``
(an item with a problem keeps the version published before, if any): the pack at claim
time is chosen from that table (:mod:`bot.content.sending`), so a broken item never reaches
a rep and every process sends the same content. Problems, and claims for which no item
fits, go to the staff feed (:mod:`bot.content.staff_notes`). A sync sends only new or
changed items to the owners of open leads, once (:func:`bot.content.sending.push_updates`).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.content.library import (
    Library,
    LibraryError,
    LibraryItem,
    library_path,
    load_library,
)
from bot.content.sending import push_updates
from bot.content.staff_notes import report_problems
from bot.content.summary import SyncSummary
from bot.models import ContentItem
from bot.runtime import Runtime
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working
from bot.uow import UnitOfWork

log = logging.getLogger(__name__)

SYNC_ATTEMPTS = 3


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
    within = minutes * 60 + PASS_SECONDS
    working(within=within)  # the sync at start was the first pass (start_content_and_news)
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            summary = await sync_library(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not await wait_if_behind(exc):
                failing(exc, within=within)  # /healthz: failing until a pass works
                log.exception("content sync failed; retrying at the next pass")
            continue
        working(within=within)
        now = summary.error or summary.report
        if now and now != last:
            (log.error if not summary.ok else log.warning)("%s", summary)
        elif summary.ok and (summary.messages or summary.new or summary.changed):
            log.info("%s", summary)
        last = now
