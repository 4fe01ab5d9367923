"""The outbox's Telegram transport: notices become messages (or edits) via the Bot API.

Addresses are chat ids: a partner's group (negative), a rep's private chat (their user id)
or the staff chat. Flood limits are token buckets shared with direct replies (global, per
chat, per group). How failures are classified — the sender retries, or marks the row
failed and tells staff; nothing is dropped:

* 429 ``RetryAfter`` — retry after the time Telegram names;
* 403 in a private chat (never started, bot blocked) — retry: the rep may start the bot
  any time, and their ``/start`` re-queues the row at once;
* 403 / "chat not found" / migrated group for a group chat — permanent: the partners CSV
  must be fixed (the error says how);
* "message is not modified" on an edit — done (the message already shows this);
* an edit whose message is gone — a lead card is sent anew (unless the change is edit-only:
  a colleague's card, a card taken off its rep), a teaser edit is done;
* network errors, timeouts, 5xx — retry with backoff.

Telegram has no way to look up what a bot sent, so a message whose sender died between
Telegram's acceptance and the outbox's "sent" mark is sent once more by the next sender:
at most one duplicate per message that was on its way (docs/lifecycle.md). An answer
Telegram gave with HTTP 2xx that cannot be read is a sent message with an unknown
reference (logged), never a reason to send it again (:mod:`~bot.handlers.telegram.answered`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.cockpit.charts import digest_png
from bot.delivery.notices import Delivery, DigestView, LeadCardView, MessageRef
from bot.delivery.transports import DeliveryError, RateLimit
from bot.handlers.telegram.answered import watching
from bot.handlers.telegram.bot import NO_PREVIEW, TelegramBot
from bot.handlers.telegram.keyboards import markup
from bot.handlers.telegram.limits import seconds
from bot.handlers.telegram.onboarding import mark_reachable, mark_unreachable
from bot.handlers.telegram.render import Outgoing, render_view
from bot.models import Platform

log = logging.getLogger(__name__)
T = TypeVar("T")

NOT_READY_RETRY_SECONDS = 5.0
PARTS_TTL_SECONDS = 7 * 86_400
GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def classify(exc: TelegramError, chat_id: int) -> DeliveryError:
    """What the sender should do about a failed call to ``chat_id``."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"flood limit: {text}", retry_after=seconds(exc.retry_after))
    if isinstance(exc, ChatMigrated):
        return DeliveryError(
            f"the group became a supergroup with chat id {exc.new_chat_id}: put that id into "
            f"the partners CSV (telegram_chat_id) and import it again",
            permanent=True,
        )
    if isinstance(exc, Forbidden):
        if chat_id > 0:
            return DeliveryError(f"private chat not open: {text}")
        return DeliveryError(f"bot not in the group {chat_id}: {text}", permanent=True)
    if isinstance(exc, BadRequest):
        if "chat not found" in lowered:
            return DeliveryError(f"chat {chat_id} not found: {text}", permanent=True)
        if "too many requests" in lowered:
            return DeliveryError(text)
        return DeliveryError(f"refused by Telegram: {text}", permanent=True)
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return DeliveryError(f"network: {text}", maybe_sent=True)
    return DeliveryError(f"{type(exc).__name__}: {text}", maybe_sent=True)


class TelegramTransport:
    platform = Platform.TELEGRAM

    def __init__(self, tg: TelegramBot) -> None:
        self.tg = tg

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        limits = self.tg.rate_limits(address)
        if edit:  # edits count towards the bot's and the group's limits, not the chat's
            return [r for r in limits if not r.bucket.startswith("telegram:chat:")]
        return limits

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        if not self.tg.ready.is_set():
            raise DeliveryError("Telegram is not started yet", retry_after=NOT_READY_RETRY_SECONDS)
        chat_id = int(delivery.address)
        messages = render_view(delivery.view)
        try:
            if isinstance(delivery.view, DigestView):
                view = delivery.view
                sent = await self._performed(
                    delivery,
                    lambda: self.tg.bot.send_photo(
                        chat_id,
                        digest_png(view),
                        caption=messages[0].text,
                        parse_mode=ParseMode.HTML,
                        filename=f"leadbot-{view.end.isoformat()}.png",
                    ),
                )
                ref = MessageRef(str(chat_id), str(sent.message_id)) if sent else None
            elif delivery.edit is not None:
                ref = await self._edit(delivery, chat_id, messages[0])
            else:
                ref = await self._send_all(delivery, chat_id, messages)
        except TelegramError as exc:
            if isinstance(exc, Forbidden) and chat_id > 0:
                await mark_unreachable(self.tg.runtime, chat_id)
            raise classify(exc, chat_id) from exc
        if chat_id > 0:
            await mark_reachable(self.tg.runtime, chat_id)
        return ref

    async def _performed(self, delivery: Delivery, call: Callable[[], Awaitable[T]]) -> T | None:
        """One Bot API call; None when Telegram took it (HTTP 2xx) but its answer could not
        be read — counted as done, never repeated."""
        with watching() as answers:
            try:
                return await call()
            except Exception as exc:
                if not answers.succeeded:
                    raise
                log.warning(
                    "telegram took outbox %s but its answer could not be read (%s: %s); "
                    "counted as sent, reference unknown",
                    delivery.outbox_id,
                    type(exc).__name__,
                    str(exc)[:200],
                )
                return None

    async def _send(self, delivery: Delivery, chat_id: int, message: Outgoing) -> Message | None:
        return await self._performed(
            delivery,
            lambda: self.tg.bot.send_message(
                chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(message.keyboard),
                link_preview_options=NO_PREVIEW,
            ),
        )

    async def _send_all(
        self, delivery: Delivery, chat_id: int, messages: list[Outgoing]
    ) -> MessageRef | None:
        """Send one or more messages; after a failure, a retry goes on where it stopped."""
        if len(messages) == 1:
            sent = await self._send(delivery, chat_id, messages[0])
            return MessageRef(str(chat_id), str(sent.message_id)) if sent else None
        coordination = self.tg.runtime.coordination
        key = f"telegram:parts:{delivery.outbox_id}"
        done = int(await coordination.get(key) or 0)
        first: str | None = await coordination.get(f"{key}:first")
        for index, message in enumerate(messages):
            if index < done:
                continue
            if index > done:
                await self.tg.pace(chat_id)  # the sender paid for the first one of this try
            sent = await self._send(delivery, chat_id, message)
            first = first or (str(sent.message_id) if sent else "")
            await coordination.put(f"{key}:first", first, PARTS_TTL_SECONDS)
            await coordination.put(key, str(index + 1), PARTS_TTL_SECONDS)
        await coordination.delete(key)
        await coordination.delete(f"{key}:first")
        return MessageRef(str(chat_id), first) if first else None

    async def _edit(self, delivery: Delivery, chat_id: int, message: Outgoing) -> MessageRef | None:
        assert delivery.edit is not None
        edit = delivery.edit
        try:
            await self._performed(
                delivery,
                lambda: self.tg.bot.edit_message_text(
                    message.text,
                    chat_id=chat_id,
                    message_id=int(edit.message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup(message.keyboard),
                    link_preview_options=NO_PREVIEW,
                ),
            )
        except BadRequest as exc:
            lowered = str(exc).lower()
            if "not modified" in lowered:
                return delivery.edit  # it already shows exactly this
            if not any(reason in lowered for reason in GONE):
                raise
            if isinstance(delivery.view, LeadCardView) and not delivery.view.edit_only:
                log.info("lead card %s gone; sending it anew", delivery.edit.message_id)
                sent = await self._send(delivery, chat_id, message)
                return MessageRef(str(chat_id), str(sent.message_id)) if sent else None
            return delivery.edit  # a teaser or an edit-only card someone deleted: leave it
        return delivery.edit
