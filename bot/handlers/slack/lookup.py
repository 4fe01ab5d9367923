"""Finding the messages an earlier attempt posted, so a row in doubt is not posted twice.

Every message the outbox posts carries Slack message metadata naming its outbox row::

    {"event_type": "leadbot_outbox",
     "event_payload": {"outbox_id": 812, "part": 0, "through_id": 840}}

(``part`` numbers the messages of a long notice; ``through_id`` is set on a staff-feed
summary, which stands for rows 812 to 840). Before a row in doubt is posted again — its
sender died mid-send, or the answer was lost — the channel's recent history is read with
``conversations.history`` and ``include_all_metadata=true`` (scopes ``channels:history``,
``groups:history``, ``im:history``; Tier 3, about 50 calls a minute, paced by a bucket).

Messages to one address are sent one at a time in outbox order, so the row's message, if
it exists, is newer than every other leadbot message of that channel; reading newest
first, the search stops at the first leadbot message of an older row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

EVENT_TYPE = "leadbot_outbox"
PAGE_SIZE = 100
MAX_PAGES = 5
HISTORY_PER_SECOND = 50 / 60
HISTORY_BURST = 50


def metadata(outbox_id: int, part: int, through_id: int | None) -> dict[str, Any]:
    """The metadata one posted message carries."""
    payload: dict[str, Any] = {"outbox_id": outbox_id, "part": part}
    if through_id is not None:
        payload["through_id"] = through_id
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def _tagged(message: dict[str, Any]) -> dict[str, Any] | None:
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != EVENT_TYPE:
        return None
    payload = meta.get("event_payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("outbox_id"), int):
        return None
    return payload


def covers(payload: dict[str, Any], outbox_id: int) -> bool:
    """Whether a posted message stands for ``outbox_id`` (itself, or a summary over it)."""
    first = payload["outbox_id"]
    through = payload.get("through_id")
    last = through if isinstance(through, int) else first
    return first <= outbox_id <= last


History = Callable[[str | None], Awaitable[dict[str, Any]]]
"""One page of the channel's history (newest first) for a cursor (None: the first page)."""


async def posted_parts(page: History, outbox_id: int) -> dict[int, str]:
    """The parts of ``outbox_id`` found in the channel: part number -> message ts."""
    found: dict[int, str] = {}
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        answer = await page(cursor)
        for message in answer.get("messages") or []:
            payload = _tagged(message) if isinstance(message, dict) else None
            if payload is None:
                continue
            if covers(payload, outbox_id):
                part = payload.get("part", 0)
                found[part if isinstance(part, int) else 0] = str(message.get("ts", ""))
            elif payload["outbox_id"] < outbox_id:
                return found  # an older row's message: ours would be newer than it
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not answer.get("has_more") or not cursor:
            break
    return found
