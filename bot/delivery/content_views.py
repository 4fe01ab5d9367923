"""The CONTENT notice as a renderer gets it, built when the message is sent.

The outbox row names items by key and version; here they are read from the last good
library in the database, in the rep's language. What is no longer worth sending is dropped:
leads the rep no longer owns, items removed, edited since (their update carries the new
text) or no longer valid on the day of sending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.packs import item_params
from bot.content.sending import as_item
from bot.delivery.notices import MessageView, NoticeKind
from bot.delivery.outbox import rep_at_address
from bot.directory.availability import local_date
from bot.i18n import LANGUAGES
from bot.leads.lifecycle import OWNED
from bot.models import ContentItem, Lead, OutboxMessage, Platform, Rep


async def resolve_content(
    session: AsyncSession,
    row: OutboxMessage,
    settings: Settings,
    language: str,
    rep: Rep | None,
    now: datetime,
) -> MessageView | None:
    """The CONTENT view at send time (or at ``now``); None when nothing in it is still worth
    sending.

    Leads the rep no longer owns are dropped from it, and so are items that were removed,
    edited since (their update carries the new text) or are no longer valid today
    (``now``: when the sender sends it, by the runtime's clock). The view's
    ``params["ref"]`` is the outbox row's id: a chat shows the kit as a short list and
    opens the items from it later (:func:`reopen_content`).
    """
    payload: dict[str, Any] = row.payload
    if "items" not in payload:
        return MessageView(
            NoticeKind.CONTENT,
            str(payload.get("event", "content")),
            language,
            row.lead_id,
            dict(payload.get("params", {})),
        )
    if rep is None:
        return None
    wanted = [int(i) for i in payload.get("lead_ids", [])]
    leads = (await session.scalars(select(Lead).where(Lead.id.in_(wanted)))).all()
    owned = sorted(
        lead.id for lead in leads if lead.owner_rep_id == rep.id and lead.status in OWNED
    )
    if not owned:
        return None
    keys = [str(i["key"]) for i in payload["items"]]
    stored = {
        r.key: r
        for r in await session.scalars(select(ContentItem).where(ContentItem.key.in_(keys)))
    }
    today = local_date(settings, now)
    items = []
    for entry in payload["items"]:
        found = stored.get(entry["key"])
        if found is None or found.removed_at is not None or found.version != entry["version"]:
            continue
        item = as_item(found)
        if item.is_current(today):
            items.append(item_params(item, language, entry.get("change")))
    if not items:
        return None
    products = sorted({p for lead in leads if lead.id in owned for p in lead.products})
    return MessageView(
        kind=NoticeKind.CONTENT,
        event=str(payload.get("event", "pack")),
        language=language,
        lead_id=row.lead_id,
        params={"lead_ids": owned, "products": products, "items": items, "ref": row.id},
    )


async def reopen_content(
    session: AsyncSession, settings: Settings, ref: int, rep_id: int, now: datetime
) -> MessageView | None:
    """A sales kit the rep ``rep_id`` got (outbox row ``ref``), as it stands at ``now``.

    What a chat shows when the rep asks for the details of a kit it listed briefly. The
    row must be a kit sent to this very rep (to their address on its platform), and the
    same rules as at sending apply: only leads the rep still owns, only items unchanged
    and valid today. None when any of that fails — a forged or stale button shows nothing.
    """
    row = await session.get(OutboxMessage, ref)
    if row is None or row.kind != NoticeKind.CONTENT.value or "items" not in row.payload:
        return None
    rep = await rep_at_address(session, Platform(row.platform), row.address)
    if rep is None or rep.id != rep_id:
        return None
    language = rep.language if rep.language in LANGUAGES else "de"
    return await resolve_content(session, row, settings, language, rep, now)
