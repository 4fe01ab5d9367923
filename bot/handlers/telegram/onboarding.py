"""Getting reps onto Telegram: ``/start <code>`` links them, and the private chat opens.

Telegram lets a bot write to a user only after the user wrote to the bot (``/start``);
before that ``sendMessage`` answers 403. So the bot remembers, per rep, that they did
(``reps.telegram_started_at``: set on any private message from them and on every message
that reaches their private chat, cleared when Telegram answers 403 there). A claim by a
rep who never started the bot still stands; their callback answer opens the bot's chat
(``t.me/<bot>?start=…``), and their ``/start`` sends everything that waited for them at
once (:func:`bot.delivery.outbox.requeue_address`) instead of after the retry backoff.
"""

from __future__ import annotations

import asyncio
import logging
import re

from sqlalchemy import select, update

from bot.delivery.requeue import Requeued, requeue_address
from bot.directory.linking import LinkOutcome, redeem
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.keyboards import link_keyboard
from bot.handlers.telegram.menu import help_text
from bot.handlers.telegram.platform import escape_telegram
from bot.handlers.telegram.updates import AddedToGroup, CommandIn
from bot.i18n import t
from bot.models import Platform, Rep
from bot.runtime import Runtime

log = logging.getLogger(__name__)

LEAD_PAYLOAD = re.compile(r"lead_(\d{1,18})")
IN_FLIGHT_WAIT_SECONDS = 30.0


def lead_payload(lead_id: int | None) -> str:
    """The ``start`` payload of the link a claimer gets when the bot cannot write to them."""
    return f"lead_{lead_id}" if lead_id is not None else "leads"


async def may_message(runtime: Runtime, user_id: int) -> bool:
    """Whether the rep with this Telegram account opened the private chat with the bot."""
    async with runtime.uow() as uow:
        started = await uow.session.scalar(
            select(Rep.telegram_started_at).where(Rep.telegram_user_id == user_id)
        )
    return started is not None


async def mark_reachable(runtime: Runtime, user_id: int) -> None:
    """The user wrote to the bot privately, or a private message reached them."""
    async with runtime.uow() as uow:
        await uow.session.execute(
            update(Rep)
            .where(Rep.telegram_user_id == user_id, Rep.telegram_started_at.is_(None))
            .values(telegram_started_at=uow.clock.now())
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


async def mark_unreachable(runtime: Runtime, user_id: int) -> None:
    """Telegram refused a private message (never started, or blocked the bot)."""
    async with runtime.uow() as uow:
        await uow.session.execute(
            update(Rep)
            .where(Rep.telegram_user_id == user_id, Rep.telegram_started_at.is_not(None))
            .values(telegram_started_at=None)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


async def deliver_waiting(tg: TelegramBot, user_id: int) -> int:
    """Send what waits in the outbox for this private chat now; returns how many wait.

    A row that is being sent at this very moment (and failing with 403, since the chat was
    not open when the attempt began) would be rescheduled after the backoff; so while any
    are in flight, this looks again shortly (in the background) until they are done.
    """
    found = await _requeue(tg.runtime, user_id)
    if found.in_flight:
        tg.spawn(_requeue_after_flight(tg.runtime, user_id))
    return found.due_now + found.in_flight


async def _requeue(runtime: Runtime, user_id: int) -> Requeued:
    async with runtime.uow() as uow:
        found = await requeue_address(uow, Platform.TELEGRAM, str(user_id))
        await uow.commit()
    return found


async def _requeue_after_flight(runtime: Runtime, user_id: int) -> None:
    for _ in range(int(IN_FLIGHT_WAIT_SECONDS / 0.2)):
        await asyncio.sleep(0.2)
        if not (await _requeue(runtime, user_id)).in_flight:
            return


async def handle_start(tg: TelegramBot, cmd: CommandIn) -> None:
    """``/start [code]``: link with an invitation code, open the chat, say what is next."""
    person = cmd.person
    if not cmd.private:
        who = await tg.identify(person)
        await to_private(tg, cmd.chat_id, who.language)
        return
    payload = cmd.args[0] if cmd.args else ""
    lines: list[str] = []
    if payload and payload != lead_payload(None) and not LEAD_PAYLOAD.fullmatch(payload):
        async with tg.runtime.uow() as uow:
            result = await redeem(uow, payload, Platform.TELEGRAM, str(person.user_id))
        language = result.language or person.language or tg.runtime.settings.staff.language
        if not result.ok:
            await tg.send(
                cmd.chat_id, "⚠️ " + escape_telegram(t(language, f"link.{result.outcome}"))
            )
            return
        log.info("telegram user linked to rep %s", result.rep_id)
        await mark_reachable(tg.runtime, person.user_id)
        key = "link.linked" if result.outcome is LinkOutcome.LINKED else "link.already_linked"
        text = t(language, key, name=result.rep_name or "", partner=result.partner_name or "")
        lines.append("✅ " + escape_telegram(text))
    who = await tg.identify(person)
    if who.rep_id is not None:
        waiting = await deliver_waiting(tg, person.user_id)
        if not lines:
            lines.append(escape_telegram(t(who.language, "telegram.welcome", name=who.name or "")))
        if waiting:
            lines.append(escape_telegram(t(who.language, "telegram.waiting", count=waiting)))
    elif not who.is_staff:
        lines.append(escape_telegram(t(who.language, "telegram.not_linked")))
    lines.append(help_text(who))
    await tg.send(cmd.chat_id, "\n\n".join(lines))


async def to_private(
    tg: TelegramBot, chat_id: int, language: str, key: str = "telegram.private_only"
) -> None:
    """In a group: point to the private chat (details and sign-in links never go to a
    group); ``key`` says what is only said there."""
    url = tg.deep_link()
    keyboard = link_keyboard(t(language, "telegram.button.open_chat"), url) if url else ()
    await tg.send(chat_id, escape_telegram(t(language, key)), keyboard)


async def announce_chat_id(tg: TelegramBot, added: AddedToGroup) -> None:
    """Added to a group: tell the group its chat id (the partners CSV needs it)."""
    language = added.by.language if added.by and added.by.language else None
    language = language or tg.runtime.settings.staff.language
    text = t(language, "telegram.group_added", chat_id=added.chat_id)
    await tg.send(
        added.chat_id,
        escape_telegram(text).replace(str(added.chat_id), f"<code>{added.chat_id}</code>"),
    )
