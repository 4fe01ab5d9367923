"""Questions the bot asked and waits to have answered by a typed message.

A button press that needs more than a tap (the revenue of a won lead, a note on a lost one,
a follow-up date typed in) leaves a small record here, per Telegram user, in
``runtime.coordination`` (Redis when configured, so any bot process can take the answer)
with a time limit (:data:`TTL_SECONDS`). An expired question is remembered for a day
more, so that an answer after the limit is told it came too late and nothing was saved —
a rep who typed the note on a loss after lunch must not believe the lead is closed. Any
command cancels the question, and so does a button press that does something else
(:mod:`~bot.handlers.telegram.presses`); the words "cancel"/"abbrechen" too.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.delivery.outbox import rep_at_address
from bot.handlers.telegram.platform import escape_telegram
from bot.i18n import t
from bot.leads.questions import tell_when_expired
from bot.models import Platform
from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.handlers.telegram.bot import TelegramBot
    from bot.handlers.telegram.keyboards import Keyboard

TTL_SECONDS = 15 * 60
"""How long a question waits for its answer."""
EXPIRED_KEPT_SECONDS = 24 * 60 * 60
"""How long after that an answer is still told that its question expired."""
TTL_MINUTES = TTL_SECONDS // 60
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


async def expect(runtime: Runtime, user_id: int, pending: Pending, tell: bool = False) -> None:
    """Remember the question; with ``tell``, the rep is also told when it runs out
    unanswered (a durable timer, :mod:`bot.leads.questions`) — one short message in the
    private chat, so a rep who walked away after "Lost, price" does not believe the lead
    closed. The token tells that timer whether this very question is still open."""
    now = runtime.clock.now()
    token = secrets.token_hex(8)
    record = json.dumps({**asdict(pending), "until": now.timestamp() + TTL_SECONDS, "token": token})
    if tell:
        await _tell_when_expired(runtime, user_id, pending, token)
    await runtime.coordination.put(_key(user_id), record, TTL_SECONDS + EXPIRED_KEPT_SECONDS)


async def _tell_when_expired(runtime: Runtime, user_id: int, pending: Pending, token: str) -> None:
    """The timer that tells the rep of ``user_id`` when ``pending`` runs out unanswered
    (none for someone who is no rep: nothing they are asked closes a lead)."""
    async with runtime.uow() as uow:
        rep = await rep_at_address(uow.session, Platform.TELEGRAM, str(user_id))
        if rep is None:
            return
        await tell_when_expired(
            uow,
            key=_key(user_id),
            token=token,
            rep_id=rep.id,
            platform=Platform.TELEGRAM,
            kind=pending.kind,
            due_at=uow.clock.now() + timedelta(seconds=TTL_SECONDS),
            lead_id=None if pending.kind == DECLINE_NOTE else pending.lead_id,  # an offer's
            minutes=TTL_MINUTES,
        )
        await uow.commit()


async def _read(runtime: Runtime, user_id: int) -> tuple[Pending, bool] | None:
    """The question asked of ``user_id`` and whether it expired; None: none (any more)."""
    raw = await runtime.coordination.get(_key(user_id))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        pending = Pending(str(data["kind"]), int(data["lead_id"]), data.get("reason"))
        until = float(data.get("until", "inf"))
    except (ValueError, KeyError, TypeError):
        await clear(runtime, user_id)
        return None
    return pending, runtime.clock.now().timestamp() >= until


async def pending_for(runtime: Runtime, user_id: int) -> Pending | None:
    """The question waiting for ``user_id``'s answer, if one does (not expired)."""
    found = await _read(runtime, user_id)
    return found[0] if found is not None and not found[1] else None


async def expired_for(
    runtime: Runtime, user_id: int, kind: str | None = None, lead_id: int | None = None
) -> Pending | None:
    """The question ``user_id`` did not answer in time, if there is one (and it is of
    ``kind`` about ``lead_id``, when given); forgotten now — its answer is told once that it
    came too late. A question of another kind stays: a press that belongs to one question
    (Skip on a lost note) must not swallow the too-late answer of another."""
    found = await _read(runtime, user_id)
    if found is None or not found[1]:
        return None
    question = found[0]
    if (kind is not None and question.kind != kind) or (
        lead_id is not None and question.lead_id != lead_id
    ):
        return None
    await clear(runtime, user_id)
    return question


async def clear(runtime: Runtime, user_id: int) -> None:
    await runtime.coordination.delete(_key(user_id))


async def ask(
    tg: TelegramBot,
    user_id: int,
    chat_id: int,
    pending: Pending,
    question_html: str,
    problem: str | None = None,
    *,
    keyboard: Keyboard = (),
    force_reply: str | None = None,
) -> None:
    """Remember what ``user_id``'s next typed answer is for, and ask for it: what was wrong
    with the last answer first (⚠️), when it could not be taken; with the buttons or the
    ForceReply placeholder that belong to the question. Asked in a rep's private chat,
    they are told when it runs out unanswered; in a partner's group not — a
    line for one rep's lapse would be noise for every colleague, and the rep's private
    chat may not be open: a late reply there is answered instead."""
    await expect(tg.runtime, user_id, pending, tell=chat_id == user_id)
    lines = [f"⚠️ {escape_telegram(problem)}"] if problem else []
    lines.append(question_html)
    await tg.send(chat_id, "\n".join(lines), keyboard, force_reply=force_reply)


def too_late(expired: Pending, language: str) -> str:
    """What an answer to a question that expired is told: nothing was saved — for a loss,
    that the lead is not lost (the prompt said it would stay open); for "not for us", that
    nothing was declined."""
    if expired.kind == LOST_NOTE:
        return t(language, "telegram.lost_not_saved", lead_id=expired.lead_id, minutes=TTL_MINUTES)
    if expired.kind == DECLINE_NOTE:
        return t(language, "telegram.decline_not_saved", minutes=TTL_MINUTES)
    return t(language, "telegram.answer_too_late", minutes=TTL_MINUTES)
