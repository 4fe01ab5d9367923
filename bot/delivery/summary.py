"""The staff feed when it falls behind: one summary message instead of a queue.

Every lead causes a few staff messages (new, offered, claimed, ...), and a staff channel
takes about one message a second (Slack per channel, Telegram per chat). A burst of
leads would leave the feed minutes or hours behind. So when more than ``[outbox]
staff_summary_after`` staff messages wait for one staff address, the sender takes the
oldest and every staff message queued right behind it and posts one summary: how many of
each event, with the lead numbers ("12 × claimed: #101, #102, …"). The rows it stands
for are marked sent together with it. Lead numbers only, never names: the staff feed
keeps its privacy rule (docs/lifecycle.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.delivery.notices import MessageView, NoticeKind
from bot.models import OutboxMessage

SUMMARY_EVENT = "summary"
MAX_GROUP = 1000
"""Rows one summary stands for at most (a longer backlog becomes a few summaries)."""
MAX_LEAD_IDS = 12
"""Lead numbers listed per event; the rest are counted."""


def is_staff_feed(kind: str) -> bool:
    return kind == NoticeKind.STAFF.value


def summary_view(rows: Sequence[OutboxMessage], language: str) -> MessageView:
    """The summary of ``rows`` (oldest first): per event its count and lead numbers."""
    events: dict[str, list[int]] = {}
    counts: dict[str, int] = {}
    for row in rows:
        event = str((row.payload or {}).get("event", "staff"))
        counts[event] = counts.get(event, 0) + 1
        ids = events.setdefault(event, [])
        if row.lead_id is not None and row.lead_id not in ids:
            ids.append(row.lead_id)
    params: dict[str, Any] = {
        "count": len(rows),
        "from_at": rows[0].created_at.isoformat(),
        "to_at": rows[-1].created_at.isoformat(),
        "events": [
            {
                "event": event,
                "count": counts[event],
                "leads": ids[:MAX_LEAD_IDS],
                "more_leads": max(0, len(ids) - MAX_LEAD_IDS),
            }
            for event, ids in events.items()
        ],
    }
    return MessageView(NoticeKind.STAFF, SUMMARY_EVENT, language, None, params)
