"""Plays Telegram's users towards the bot: commands, texts and inline-button presses.

Updates get increasing ``update_id``s and go where Telegram would send them: to the
webhook the bot registered (with its ``X-Telegram-Bot-Api-Secret-Token``), or, with no
webhook, into the queue the bot's ``getUpdates`` long poll reads.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from tests.emulators.telegram.models import PendingQuery, TgMessage, TgUser

if TYPE_CHECKING:
    from tests.emulators.telegram.server import TelegramEmulator

_REGISTERED: Any = object()  # "use the secret the bot registered with setWebhook"

UserRef = TgUser | int


@dataclass
class Delivered:
    """An update the driver delivered, and (for webhooks) the bot's answer."""

    update: dict[str, Any]
    via: str  # "webhook" or "polling"
    status: int | None = None
    body: str = ""
    elapsed: float = 0.0
    error: str | None = None  # the webhook could not be reached (e.g. the bot died)

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def ok(self) -> bool:
        """Webhook: the bot answered 2xx. Polling: always True (it was queued)."""
        if self.error is not None:
            return False
        return self.status is None or 200 <= self.status < 300


class TelegramDriver:
    """Builds Updates and delivers them like Telegram.

    ``webhook_url`` overrides the URL the bot registered; ``secret_token`` overrides the
    secret sent with webhook deliveries (``None`` sends no secret header; a wrong value
    tests that the bot refuses it).
    """

    def __init__(
        self,
        emulator: TelegramEmulator,
        *,
        webhook_url: str | None = None,
        secret_token: str | None = _REGISTERED,
        timeout: float = 10.0,
    ) -> None:
        self.emulator = emulator
        self.webhook_url = webhook_url
        self.secret_token = secret_token
        self.timeout = timeout
        self.delivered: list[Delivered] = []

    # ----------------------------------------------------------------- people

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "de",
    ) -> TgUser:
        """A Telegram user the driver can act as (known to the emulator from now on)."""
        return self.emulator.add_user(
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
        )

    def _user(self, ref: UserRef) -> TgUser:
        user_id = ref.id if isinstance(ref, TgUser) else int(ref)
        with self.emulator.lock:
            known = self.emulator.state.users.get(user_id)
        return copy.deepcopy(known) if known else self.user(user_id)

    # ----------------------------------------------------------------- actions

    async def start(self, user: UserRef, payload: str | None = None, **kw: Any) -> Delivered:
        """The user presses Start (or opens a ``t.me/<bot>?start=<payload>`` deep link)."""
        return await self.command(user, "start", payload or "", **kw)

    async def command(
        self,
        user: UserRef,
        command: str,
        args: str = "",
        *,
        chat_id: int | None = None,
        mention_bot: bool = False,
        **kw: Any,
    ) -> Delivered:
        """``/command args`` (``mention_bot``: ``/command@botname`` as in groups)."""
        name = command.lstrip("/")
        if mention_bot:
            name += f"@{self.emulator.state.bot.username}"
        text = f"/{name}" + (f" {args}" if args else "")
        entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
        return await self._message(user, text, [entity], chat_id, **kw)

    async def send_text(
        self,
        user: UserRef,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: TgMessage | None = None,
        **kw: Any,
    ) -> Delivered:
        """The user writes ``text`` (to the bot's private chat unless ``chat_id``), as a
        reply to ``reply_to`` if given (what a ForceReply field sends)."""
        return await self._message(user, text, [], chat_id, reply_to=reply_to, **kw)

    async def press(
        self,
        user: UserRef,
        data_prefix: str = "",
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
        **kw: Any,
    ) -> Delivered:
        """Press the inline button whose ``callback_data`` starts with ``data_prefix``.

        Looks in ``message_id``, else in the bot's newest message in the chat (default:
        the user's private chat) that has such a button.
        """
        who = self._user(user)
        chat = who.id if chat_id is None else chat_id
        if message_id is not None:
            candidates = [self.emulator.message(chat, message_id)]
        else:
            candidates = list(reversed(self.emulator.bot_messages(chat)))
        for message in candidates:
            button = message.button(data_prefix)
            if button is not None:
                return await self.press_button(who, message, button["callback_data"], **kw)
        seen = [b.get("callback_data") for m in candidates for b in m.buttons()]
        raise LookupError(f"no button with callback data {data_prefix!r}* in chat {chat}: {seen}")

    async def press_button(
        self, user: UserRef, message: TgMessage, data: str, **kw: Any
    ) -> Delivered:
        """Press a button with exactly ``data`` on ``message`` (no lookup)."""
        who = self._user(user)
        query = PendingQuery(secrets.token_hex(8), who.id, data, self.emulator.clock())
        with self.emulator.lock:
            self.emulator.state.queries[query.id] = query
        callback = {
            "id": query.id,
            "from": who.as_api(),
            "message": message.as_api(),
            "chat_instance": str(abs(hash((message.chat_id, "instance")))),
            "data": data,
        }
        return await self.deliver({"callback_query": callback}, **kw)

    def block(self, user: UserRef) -> None:
        """The user blocks the bot (sends to them fail with 403 until they /start again)."""
        self.emulator.block_bot(self._user(user).id)

    async def _message(
        self,
        user: UserRef,
        text: str,
        entities: list[dict[str, Any]],
        chat_id: int | None,
        reply_to: TgMessage | None = None,
        **kw: Any,
    ) -> Delivered:
        who = self._user(user)
        emulator = self.emulator
        if chat_id is None or chat_id == who.id:
            emulator.start_user(who.id)  # writing to a bot opens the private chat
            chat_id = who.id
        with emulator.lock:
            chat = emulator.state.chats.get(chat_id)
            if chat is None:
                raise LookupError(f"unknown chat {chat_id}; add_group() it first")
            stored = emulator.state.add_user_message(chat, who, text, entities)
        emulator.changed()
        message: dict[str, Any] = {
            "message_id": stored.message_id,
            "from": who.as_api(),
            "chat": chat.as_api(),
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to.as_api()
        return await self.deliver({"message": message}, **kw)

    # ----------------------------------------------------------------- delivery

    async def deliver(
        self,
        update: dict[str, Any],
        *,
        secret_token: str | None = _REGISTERED,
        via: str | None = None,
    ) -> Delivered:
        """Deliver an update; without ``update_id`` it gets the next one.

        To test de-duplication, deliver ``previous.update`` again (same ``update_id``).
        ``via`` forces ``"webhook"`` or ``"polling"``; by default a registered (or given)
        webhook URL wins, as on Telegram.
        """
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update = {"update_id": self.emulator.next_update_id(), **update}
        webhook = self.emulator.webhook
        url = self.webhook_url or (webhook.url if webhook else None)
        if via == "polling" or (via is None and url is None):
            self.emulator.enqueue_update(update)
            result = Delivered(update, "polling")
        else:
            if url is None:
                raise LookupError("no webhook registered and no webhook_url given")
            if secret_token is _REGISTERED:
                secret_token = self.secret_token
            if secret_token is _REGISTERED:
                secret_token = webhook.secret_token if webhook else None
            result = await self._post(url, update, secret_token)
        self.delivered.append(result)
        return result

    async def resend(self, previous: Delivered, **kw: Any) -> Delivered:
        """Deliver the same update (same ``update_id``) again, as Telegram's retry does."""
        return await self.deliver(previous.update, **kw)

    def unacknowledged(self) -> list[Delivered]:
        """Webhook updates whose latest delivery got no 2xx (an error status, or no answer
        at all because the bot died): what Telegram would deliver again."""
        latest: dict[int, Delivered] = {}
        for delivered in self.delivered:
            if delivered.via == "webhook":
                latest[delivered.update_id] = delivered
        return [d for d in latest.values() if not d.ok]

    async def redeliver_unacknowledged(self) -> list[Delivered]:
        """Deliver every :meth:`unacknowledged` update again (same ``update_id``), at once,
        as Telegram does after a failed delivery; returns the new deliveries."""
        pending = self.unacknowledged()
        return list(await asyncio.gather(*(self.resend(d, via="webhook") for d in pending)))

    async def _post(self, url: str, update: dict[str, Any], secret: str | None) -> Delivered:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                answer = await client.post(url, content=json.dumps(update), headers=headers)
        except httpx.TransportError as exc:  # no answer: Telegram keeps the update
            elapsed = time.perf_counter() - started
            return Delivered(update, "webhook", elapsed=elapsed, error=type(exc).__name__)
        return Delivered(
            update, "webhook", answer.status_code, answer.text, time.perf_counter() - started
        )
