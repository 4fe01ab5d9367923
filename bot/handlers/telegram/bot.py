"""The Telegram bot inside leadbot's server: PTB ``Application``, start-up, replies.

python-telegram-bot runs *inside* our ASGI app, as in PTB's
``examples/customwebhookbot/starlettebot.py``: the Application is built with
``.updater(None)`` (we own the webhook route and the polling loop), updates are turned into
``Update`` objects with ``Update.de_json`` and handed to ``application.process_update``,
and the Application is started and stopped by a ``parts.contexts`` context of the server.

Start-up talks to Telegram (``getMe``, ``setMyCommands``, ``setWebhook``). A refused token
stops the server with a message naming ``LEADBOT_TELEGRAM__TOKEN``; Telegram being
unreachable does not: the server starts (leads are still accepted, notices wait in the
outbox) and start-up is retried in the background until it succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any

from telegram import ForceReply, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import ContextTypes, ExtBot, TypeHandler

from bot.chat.identity import Identity, identify
from bot.chat.interactions import Interactions
from bot.config import ConfigError
from bot.delivery.transports import RateLimit
from bot.handlers.telegram.keyboards import Keyboard, markup
from bot.handlers.telegram.limits import flood_limits, log_failure, seconds
from bot.handlers.telegram.setup import build_application
from bot.handlers.telegram.updates import Person
from bot.models import Platform
from bot.plaintext import quoted
from bot.runtime import Runtime
from bot.seen import AlreadyApplied

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
SETUP_RETRY_SECONDS = (2, 5, 10, 30, 60)
MAX_PACE_SECONDS = 5.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # no previews of prospects' websites


class TelegramBot:
    """One bot: the PTB Application plus what our handlers share (runtime, identity, I/O)."""

    def __init__(
        self,
        runtime: Runtime,
        dispatch: Callable[[TelegramBot, Update], Awaitable[None]],
        on_started: Callable[[TelegramBot], Awaitable[None]],
    ) -> None:
        self.runtime = runtime
        self._dispatch = dispatch
        self._on_started = on_started
        self.settings = runtime.settings.telegram
        self.application = build_application(self.settings)
        self.interactions = Interactions(runtime)
        self.ready = asyncio.Event()
        self.username: str | None = self.settings.bot_username.lstrip("@") or None
        assert self.settings.token is not None
        self.bot_id = self.settings.token.get_secret_value().split(":", 1)[0]
        self._setup_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)

    @property
    def bot(self) -> ExtBot:
        return self.application.bot

    # --- updates ---------------------------------------------------------------------

    async def handle(self, update: Update) -> bool:
        """Process one update unless it was applied before (Telegram retries); True if
        processed. Returns once the update is applied — only then may it be confirmed (200
        to the webhook, the next offset to ``getUpdates``). It is marked seen with its work
        (:mod:`bot.seen`), so an update lost to a crash is processed when it comes again."""
        key = f"telegram:update:{self.bot_id}:{update.update_id}"

        async def work() -> None:
            await self.application.process_update(update)

        return await self.runtime.seen.once(self.runtime, key, work)

    async def _on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert isinstance(update, Update)
        await self._dispatch(self, update)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else "?"
        if isinstance(context.error, AlreadyApplied):  # not a failure: a repeat, undone
            log.info("telegram update %s: applied by another process first", update_id)
            return
        log_failure(log, f"telegram update {update_id}", context.error)

    async def identify(self, person: Person) -> Identity:
        """The rep and/or staff member behind a Telegram user; unknown users keep Telegram's
        language hint, so the explanation they get is in their language."""
        who = await identify(self.runtime, Platform.TELEGRAM, str(person.user_id))
        if who.rep_id is None and not who.is_staff and person.language:
            who = replace(who, language=person.language)
        return who

    # --- talking to Telegram ---------------------------------------------------------

    def rate_limits(self, chat_id: str) -> list[RateLimit]:
        return flood_limits(self.settings, chat_id)

    async def pace(self, chat_id: int | str) -> None:
        """Wait for the flood-limit tokens of a direct reply (shared with the outbox sender)."""
        waited = 0.0
        for limit in self.rate_limits(str(chat_id)):
            while waited < MAX_PACE_SECONDS:
                wait = await self.runtime.coordination.take_token(
                    limit.bucket, limit.per_second, limit.burst
                )
                if wait <= 0:
                    break
                wait = min(wait, MAX_PACE_SECONDS - waited)
                waited += wait
                await asyncio.sleep(wait)

    async def send(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard = (),
        *,
        force_reply: str | None = None,
    ) -> Message | None:
        """A direct reply (HTML). Errors are logged, not raised: a reply that cannot be sent
        must not undo what the user's action already did."""
        await self.pace(chat_id)
        # selective: in a group, only the person the question names gets the reply field
        # (the others keep their keyboard); in a private chat that is everyone anyway.
        reply_markup = (
            ForceReply(selective=True, input_field_placeholder=force_reply[:64])
            if force_reply is not None
            else markup(keyboard)
        )
        for attempt in range(2):
            try:
                return await self.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup,
                    link_preview_options=NO_PREVIEW,
                )
            except RetryAfter as exc:
                if attempt:
                    break
                await asyncio.sleep(min(seconds(exc.retry_after), MAX_PACE_SECONDS))
            except TelegramError as exc:
                log.warning("telegram reply to chat %s failed: %s", chat_id, exc)
                return None
        return None

    async def edit_keyboard(self, chat_id: int, message_id: int, keyboard: Keyboard) -> None:
        """Swap a message's buttons (sub-menus); "not modified" and friends are harmless."""
        await self.pace(chat_id)
        try:
            await self.bot.edit_message_reply_markup(
                chat_id, message_id, reply_markup=markup(keyboard)
            )
        except TelegramError as exc:
            log.info("telegram keyboard edit in chat %s: %s", chat_id, exc)

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard = ()
    ) -> None:
        """Replace a message's text and buttons (paging a sales kit); "not modified" — the
        same page pressed twice — and a message that is gone are harmless."""
        await self.pace(chat_id)
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(keyboard),
                link_preview_options=NO_PREVIEW,
            )
        except TelegramError as exc:
            log.info("telegram text edit in chat %s: %s", chat_id, exc)

    def deep_link(self, payload: str = "") -> str | None:
        """``https://t.me/<bot>?start=<payload>``, or None while the username is unknown."""
        if not self.username:
            return None
        return f"https://t.me/{self.username}" + (f"?start={payload}" if payload else "")

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        """Run a short follow-up job in the background (cancelled when the bot stops)."""
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- lifecycle -------------------------------------------------------------------

    async def _setup_once(self) -> None:
        await self.application.initialize()
        self.username = self.username or self.bot.username
        if not self.application.running:
            await self.application.start()
        await self._on_started(self)
        if self.settings.mode == "polling":
            await self.bot.delete_webhook()
        elif self.settings.webhook_url:
            assert self.settings.webhook_secret is not None
            await self.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.webhook_secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        self.ready.set()
        log.info("telegram bot @%s ready (%s mode)", self.username, self.settings.mode)

    async def _setup_later(self) -> None:
        for attempt in range(10**9):
            delay = SETUP_RETRY_SECONDS[min(attempt, len(SETUP_RETRY_SECONDS) - 1)]
            await asyncio.sleep(delay)
            try:
                await self._setup_once()
                return
            except InvalidToken:
                log.error("Telegram refused the bot token; check LEADBOT_TELEGRAM__TOKEN")
                return
            except TelegramError as exc:
                log.warning("telegram start-up failed (%s); retrying in a while", exc)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start the bot for the server's lifetime (the ``parts.contexts`` entry)."""
        try:
            await self._setup_once()
        except InvalidToken:
            raise ConfigError(
                "Telegram refused the bot token: check LEADBOT_TELEGRAM__TOKEN"
            ) from None
        except TelegramError as exc:
            log.warning(
                "telegram start-up failed (%s): serving anyway; retrying in the background", exc
            )
            self._setup_task = asyncio.create_task(self._setup_later())
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            # PTB could not read getMe's answer: [telegram] api_url is not the Bot API.
            raise ConfigError(
                f"[telegram] api_url {quoted(self.settings.api_url)} did not answer like the "
                f"Telegram Bot API (getMe: {type(exc).__name__}); check the URL"
            ) from None
        try:
            yield
        finally:
            tasks = [*self._tasks, *([self._setup_task] if self._setup_task else [])]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.ready.clear()
            if self.application.running:
                await self.application.stop()
            with contextlib.suppress(TelegramError):
                await self.application.shutdown()


__all__: Sequence[str] = ("TelegramBot",)
