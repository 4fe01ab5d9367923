"""What a worker's claimed rows become before sending: each row's view, read in one go.

Split from :mod:`bot.delivery.worker` (the claim-and-send loop): reading the views is the
one part of a pass that touches the lead data, and it has its own rules — one read-only
session for the whole claim, a damaged row marked :data:`UNREADABLE` instead of failing the
pass, and an outage (or a schema behind the code) failing the whole pass so it is retried.
"""

from __future__ import annotations

import logging

from bot.db import READ_ONLY, SHORT_READS
from bot.dbfaults import unavailable
from bot.delivery.ledger import Claim
from bot.delivery.notices import Delivery, MessageRef, NoticeView
from bot.delivery.resolve import preload, resolve
from bot.delivery.summary import summary_view
from bot.models import Platform
from bot.runtime import Runtime
from bot.schemawatch import is_behind

log = logging.getLogger("bot.delivery.sender")

UNREADABLE = object()
"""Marks a claimed row whose view could not be built."""


async def claimed_views(
    runtime: Runtime, platform: Platform, claims: list[Claim]
) -> list[tuple[Claim, Delivery | object | None]]:
    """The view of every claimed row, read in one read-only session: a
    :class:`Delivery`, ``None`` for a row that became obsolete, or :data:`UNREADABLE`."""
    now = runtime.clock.now()
    settings = runtime.settings
    out: list[tuple[Claim, Delivery | object | None]] = []
    async with runtime.uow() as uow:
        await uow.session.connection(execution_options={READ_ONLY: True, SHORT_READS: True})
        await preload(uow.session, [c.row for c in claims if not c.followers])
        for claim in claims:
            row = claim.row
            edit: MessageRef | None = None
            try:
                if claim.followers:
                    view: NoticeView = summary_view(
                        [row, *claim.followers], settings.staff.language
                    )
                else:
                    resolved = await resolve(uow.session, row, settings, now)
                    if resolved is None:
                        out.append((claim, None))
                        continue
                    view, edit = resolved
            except Exception as exc:
                if unavailable(exc) is not None or await is_behind(exc):
                    raise  # the database, not this row: the whole pass is retried
                log.exception("outbox %s: could not be read for sending", row.id)
                out.append((claim, UNREADABLE))
                continue
            through = claim.followers[-1].id if claim.followers else None
            delivery = Delivery(row.id, platform, row.address, view, edit, row.in_doubt, through)
            out.append((claim, delivery))
    return out
