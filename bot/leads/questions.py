"""A question the bot asked a rep in a chat runs out: the rep is told, once.

A chat platform that asks for a typed answer (Telegram's revenue, lost note, follow-up
date) keeps the question as a short-lived value in ``runtime.coordination`` with a random
token, and a durable timer here for the moment it runs out. When the timer fires and the
value under its key still carries its token — nobody answered, cancelled or asked anew —
the rep gets one short notice (``rep_info.question_<kind>``) on that platform; otherwise
the timer is obsolete. The core knows only the key and the token, nothing of the platform's
question. A timer row, not a task in the process that asked: it survives a restart and
fires once whichever process runs the scheduler.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.coordination import Coordination
from bot.delivery.notices import NoticeKind
from bot.models import Platform, Timer, TimerKind
from bot.uow import UnitOfWork


async def tell_when_expired(
    uow: UnitOfWork,
    *,
    key: str,
    token: str,
    rep_id: int,
    platform: Platform,
    kind: str,
    due_at: datetime,
    lead_id: int | None = None,
    **params: Any,
) -> None:
    """Tell rep ``rep_id`` on ``platform`` at ``due_at`` that question ``kind`` ran out,
    if the value under ``key`` still carries ``token`` then."""
    uow.session.add(
        Timer(
            kind=TimerKind.QUESTION_EXPIRY,
            lead_id=lead_id,
            due_at=due_at,
            created_at=uow.clock.now(),
            payload={
                "key": key,
                "token": token,
                "rep_id": rep_id,
                "platform": platform.value,
                "event": f"question_{kind}",
                "params": params,
            },
        )
    )


async def fire_question_expiry(uow: UnitOfWork, coordination: Coordination, timer: Timer) -> str:
    """The timer's notice, if its question is still the one asked and unanswered."""
    payload = timer.payload
    raw = await coordination.get(str(payload["key"]))
    try:
        asked = json.loads(raw) if raw is not None else None
    except ValueError:
        asked = None
    if not isinstance(asked, dict) or asked.get("token") != payload["token"]:
        return "obsolete"  # answered, cancelled or replaced by a newer question
    await uow.outbox.rep(
        int(payload["rep_id"]),
        NoticeKind.REP_INFO,
        str(payload["event"]),
        lead_id=timer.lead_id,
        platform=Platform(payload["platform"]),
        **dict(payload.get("params") or {}),
    )
    return "fired"
