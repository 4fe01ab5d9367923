"""Questions the bot asked and waits to have answered by a typed message.

A button press that needs more than a tap (the revenue of a won lead, a note on a lost one,
a follow-up date typed in) leaves a small record here, per Telegram user, in
``runtime.coordination`` (Redis when configured, so any bot process can take the answer)
with a time limit: an answer after it is treated as ordinary chatter. Any command cancels
the question, and so does a button press that does something else
(:mod:`~bot.handlers.telegram.presses`); the words "cancel"/"abbrechen" too.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from bot.runtime import Runtime

TTL_SECONDS = 15 * 60
CANCEL_WORDS = frozenset({"cancel", "abbrechen", "stop", "/cancel"})
SKIP_WORDS = frozenset({"skip", "-", "–", "überspringen", "weiter", "nein", "no"})

REVENUE = "revenue"  # won: the revenue in euros
LOST_NOTE = "lost_note"  # lost: an optional note (reason already chosen)
FOLLOW_UP_DATE = "follow_up_date"  # follow-up: a typed date
DECLINE_NOTE = "decline_note"  # "not for us", reason other: why (``lead_id`` is the offer)


@dataclass(frozen=True)
class Pending:
    kind: str
    lead_id: int
    reason: str | None = None


def _key(user_id: int) -> str:
    return f"telegram:input:{user_id}"


async def expect(runtime: Runtime, user_id: int, pending: Pending) -> None:
    await runtime.coordination.put(_key(user_id), json.dumps(asdict(pending)), TTL_SECONDS)


async def pending_for(runtime: Runtime, user_id: int) -> Pending | None:
    raw = await runtime.coordination.get(_key(user_id))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return Pending(str(data["kind"]), int(data["lead_id"]), data.get("reason"))
    except (ValueError, KeyError, TypeError):
        await clear(runtime, user_id)
        return None


async def clear(runtime: Runtime, user_id: int) -> None:
    await runtime.coordination.delete(_key(user_id))
