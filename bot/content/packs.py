"""Which sales content fits which lead, and which updates are due. Pure: no database, no I/O.

An item fits a lead when the lead asked for a product of the item's line (and, if the item
names products, one of those), and the lead's industry is one the item is meant for (items
without industries fit every industry). Only items valid on the day are ever selected, so
an expired or not-yet-valid offer is never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.config import Product
from bot.content.anonymize import industry_label
from bot.content.items import ItemKind, LibraryItem

KIND_ORDER = {ItemKind.ARGUMENT: 0, ItemKind.OFFER: 1, ItemKind.SERVICE: 2}


@dataclass(frozen=True)
class LeadContext:
    """The non-identifying facts of a lead that decide which content fits it."""

    products: frozenset[str]
    lines: frozenset[str]
    industry: str


def lead_context(
    products: Iterable[str], industry: str | None, catalogue: Sequence[Product]
) -> LeadContext:
    """Map the lead's products to their lines (unknown products are ignored)."""
    line_of = {p.id: p.line for p in catalogue}
    wanted = frozenset(p for p in products if p in line_of)
    return LeadContext(wanted, frozenset(line_of[p] for p in wanted), industry_label(industry))


def fits(item: LibraryItem, lead: LeadContext) -> bool:
    if item.line not in lead.lines:
        return False
    if item.products and not lead.products.intersection(item.products):
        return False
    return not item.industries or lead.industry in item.industries


def _order(item: LibraryItem) -> tuple[int, int, str, str]:
    # arguments, then offers, then services; industry-specific content first within a kind
    return (KIND_ORDER[item.kind], 0 if item.industries else 1, item.line, item.key)


def select_pack(items: Iterable[LibraryItem], lead: LeadContext, today: date) -> list[LibraryItem]:
    """The content pack for a lead: every current item that fits it, in reading order."""
    return sorted((i for i in items if i.is_current(today) and fits(i, lead)), key=_order)


@dataclass(frozen=True)
class OpenLead:
    """An owned, open lead: who owns it, where they claimed it, what content fits it."""

    lead_id: int
    rep_id: int
    platform: str | None
    context: LeadContext


@dataclass(frozen=True)
class PushItem:
    item: LibraryItem
    change: str  # "new" (the rep never got this item) or "changed" (an older version)
    lead_ids: tuple[int, ...]


@dataclass(frozen=True)
class Push:
    """One update message for one rep: the items new or changed for any of their leads."""

    rep_id: int
    platform: str | None  # the platform all these leads were claimed on, else None (all)
    items: tuple[PushItem, ...]
    lead_ids: tuple[int, ...] = field(default=())


def plan_updates(
    items: Iterable[LibraryItem],
    leads: Sequence[OpenLead],
    delivered: Mapping[tuple[int, int, str], str],
    today: date,
) -> list[Push]:
    """The updates due: current items whose version the lead's owner has not had yet.

    ``delivered`` maps (lead id, rep id, item key) to the version last queued for it. A rep
    gets one message with every due item, however many of their leads it concerns.
    """
    current = [i for i in items if i.is_current(today)]
    per_rep: dict[int, dict[str, tuple[LibraryItem, str, set[int]]]] = {}
    platforms: dict[int, set[str | None]] = {}
    for lead in leads:
        for item in current:
            if not fits(item, lead.context):
                continue
            before = delivered.get((lead.lead_id, lead.rep_id, item.key))
            if before == item.version:
                continue
            change = "new" if before is None else "changed"
            due = per_rep.setdefault(lead.rep_id, {})
            known = due.get(item.key)
            if known is None:
                due[item.key] = (item, change, {lead.lead_id})
            else:
                merged = "changed" if "changed" in (known[1], change) else "new"
                due[item.key] = (item, merged, known[2] | {lead.lead_id})
            platforms.setdefault(lead.rep_id, set()).add(lead.platform)
    pushes = []
    for rep_id, due in sorted(per_rep.items()):
        entries = sorted(due.values(), key=lambda e: _order(e[0]))
        lead_ids = sorted(set().union(*(e[2] for e in entries)))
        where = platforms[rep_id]
        pushes.append(
            Push(
                rep_id=rep_id,
                platform=next(iter(where)) if len(where) == 1 else None,
                items=tuple(PushItem(i, c, tuple(sorted(ids))) for i, c, ids in entries),
                lead_ids=tuple(lead_ids),
            )
        )
    return pushes


def item_params(item: LibraryItem, language: str, change: str | None = None) -> dict[str, Any]:
    """One item as the renderers get it: plain text in the rep's language (or the other)."""
    used, text = item.text(language)
    return {
        "kind": item.kind.value,
        "key": item.key,
        "version": item.version,
        "line": item.line,
        "title": text.title,
        "body": text.body,
        "url": item.url,
        "valid_from": item.valid_from.isoformat() if item.valid_from else None,
        "valid_until": item.valid_until.isoformat() if item.valid_until else None,
        "language": used,
        "change": change,
    }
