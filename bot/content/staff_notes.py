"""What staff hear about the sales content: library problems, and a claim without a kit.

A library with problems is still used (the valid items), so nobody would notice the
skipped ones unless told. One staff notice per sync that found problems names each one
(file, line, item, field) — but the same set of problems is not announced again at every
periodic re-check: the last announcement is read back from the outbox, so this holds
across restarts and processes. When the problems are gone, staff hear that too.

And a rep who claims a lead for which no item fits gets no sales kit at all; staff are told,
so they can ask marketing for content for those products.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select

from bot.content.items import Problem
from bot.content.problems import SHOWN
from bot.delivery.notices import NoticeKind
from bot.models import Lead, OutboxMessage, Partner
from bot.uow import UnitOfWork

PROBLEMS = "content.problems"  # i18n staff.content.problems
FIXED = "content.fixed"
NO_KIT = "content.none"


def fingerprint(problems: Sequence[Problem]) -> str:
    """Which problems these are — not where they are: a line moving up does not count."""
    text = "\n".join(sorted(f"{p.file}|{p.where}|{p.message}" for p in problems))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def _last_announced(uow: UnitOfWork) -> str | None:
    """The fingerprint of the problems staff were last told about (None: none open)."""
    row = await uow.session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == NoticeKind.STAFF.value,
            OutboxMessage.payload["event"].as_string().in_((PROBLEMS, FIXED)),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if row is None or row.payload.get("event") != PROBLEMS:
        return None
    found = row.payload.get("params", {}).get("fingerprint")
    return found if isinstance(found, str) else None


async def report_problems(uow: UnitOfWork, problems: Sequence[Problem]) -> None:
    """Tell staff about the library's problems (in the sync's transaction), once per set."""
    last = await _last_announced(uow)
    if not problems:
        if last is not None:
            await uow.outbox.staff(FIXED)
        return
    now = fingerprint(problems)
    if now == last:
        return
    await uow.outbox.staff(
        PROBLEMS,
        count=len(problems),
        problems={
            "shown": [p.to_json() for p in problems[:SHOWN]],
            "more": max(0, len(problems) - SHOWN),
        },
        fingerprint=now,
    )


async def no_kit(uow: UnitOfWork, lead: Lead) -> None:
    """A staff-feed line: ``lead`` went to its new owner without a sales kit."""
    partner = await uow.session.get(Partner, lead.owner_partner_id or "")
    await uow.outbox.staff(
        NO_KIT,
        lead_id=lead.id,
        partner=partner.name if partner else (lead.owner_partner_id or "–"),
        products=list(lead.products),
    )
