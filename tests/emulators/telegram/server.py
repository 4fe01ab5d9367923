"""The Telegram Bot API emulator: ``<base_url>/bot<token>/<method>``.

Speaks enough of the Bot API for python-telegram-bot v22 to run unmodified (it sends
form-encoded bodies with JSON-encoded objects; JSON bodies work too): Telegram-shaped
answers and errors, the 403 for users who never started the bot, "message is not
modified", long-polling ``getUpdates``, webhooks, and flood limits with ``retry_after``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulators.base import ApiRequest, EmulatorServer, Reply
from tests.emulators.faults import Fault
from tests.emulators.limits import LimitRule, whole_seconds
from tests.emulators.telegram.errors import TelegramFailure, coerce
from tests.emulators.telegram.models import TgUser
from tests.emulators.telegram.queries import TelegramQueries
from tests.emulators.telegram.state import TelegramState
from tests.emulators.telegram.updates import commands_key

if TYPE_CHECKING:
    pass

Handler = Callable[[dict[str, Any]], Any]

SEND_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendMediaGroup", "sendLocation", "sendContact", "sendPoll", "sendSticker",
        "copyMessage", "forwardMessage",
    }
)  # fmt: skip
EDIT_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
TOLERATED = frozenset(
    {
        "setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton",
        "setMyDefaultAdministratorRights", "sendChatAction", "logOut", "close",
    }
)  # fmt: skip


def _burst(per_period: float) -> int:
    """A bucket holds one period's worth of calls (at least one)."""
    return max(1, int(per_period))


def _bot_key(method: str, params: dict[str, Any]) -> str | None:
    return "bot"


def _chat_key(method: str, params: dict[str, Any]) -> str | None:
    return str(params.get("chat_id", "")) or None


def _group_key(method: str, params: dict[str, Any]) -> str | None:
    chat = str(params.get("chat_id", ""))
    return chat if chat.startswith(("-", "@")) else None


class TelegramEmulator(TelegramQueries, EmulatorServer):
    """Telegram as one bot sees it, served over HTTP on 127.0.0.1.

    ``TelegramEmulator(token="123456:TEST")``; use as a context manager or
    ``start()``/``stop()``. Point PTB at :attr:`bot_api_url` (``Bot(token,
    base_url=emulator.bot_api_url)``). Users appear when the driver makes them; private
    chats open when a user sends ``/start``.
    """

    def __init__(
        self,
        token: str = "123456789:TEST-token",
        *,
        bot_username: str = "leadbot_test_bot",
        bot_name: str = "Leadbot",
        clock: Callable[[], float] | None = None,
        callback_ttl: float = 15.0,
        global_per_second: float = 30.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: float = 20.0,
    ) -> None:
        super().__init__(clock=clock)
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        bot = TgUser(bot_id, bot_name, username=bot_username, is_bot=True)
        self.state = TelegramState(bot=bot, clock=self.clock, callback_ttl=callback_ttl)
        self._poll_generation = 0
        self._next_update_id = 100_000
        # Sends count everywhere; edits count towards the global and group limits only.
        everything = SEND_METHODS | EDIT_METHODS
        for rule in (
            LimitRule("global", global_per_second, _burst(global_per_second), _bot_key, everything),
            LimitRule("per_chat", chat_per_second, chat_burst, _chat_key, SEND_METHODS),
            LimitRule(
                "per_group", group_per_minute / 60, _burst(group_per_minute), _group_key, everything
            ),
        ):
            self.limits.add(rule)
        self._handlers: dict[str, Handler] = {
            "getMe": lambda p: self.state.bot.as_api() | _bot_flags(),
            "sendMessage": lambda p: self.state.send(p).as_api(),
            "sendPhoto": lambda p: self.state.send_photo(p).as_api(),
            "editMessageText": lambda p: self.state.edit(p, text_too=True).as_api(),
            "editMessageReplyMarkup": lambda p: self.state.edit(p, text_too=False).as_api(),
            "deleteMessage": lambda p: self.state.delete(p) or True,
            "answerCallbackQuery": lambda p: bool(self.state.answer(p)),
            "setMyCommands": lambda p: self.state.set_commands(p) or True,
            "getMyCommands": self.state.get_commands,
            "deleteMyCommands": self._delete_commands,
            "setWebhook": self.state.set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": lambda p: self.state.webhook_info(),
        }

    # ----------------------------------------------------------------- identity

    @property
    def bot_api_url(self) -> str:
        """PTB's ``base_url`` (it appends the token): ``http://127.0.0.1:<port>/bot``."""
        return f"{self.base_url}/bot"

    @property
    def bot_user(self) -> TgUser:
        return copy.deepcopy(self.state.bot)

    # ----------------------------------------------------------------- HTTP

    def add_routes(self, app: web.Application) -> None:
        async def api(request: web.Request) -> web.StreamResponse:
            info = request.match_info
            return await self.handle_api(request, info["method"], info["token"])

        app.router.add_route("*", "/bot{token}/{method}", api)

    def decode_params(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return coerce(params)
        except TelegramFailure:
            return params

    def check_auth(self, request: ApiRequest) -> Reply | None:
        if request.path_token != self.token:
            return Reply({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        return None

    async def call_method(self, request: ApiRequest) -> Reply:
        try:
            params = coerce(request.params)
            if request.method == "getUpdates":
                return Reply({"ok": True, "result": await self._get_updates(params)})
            handler = self._handlers.get(request.method)
            if handler is None and request.method in TOLERATED:
                return Reply({"ok": True, "result": True})
            if handler is None:
                return Reply({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
            with self.lock:
                result = handler(params)
        except TelegramFailure as failure:
            return self._failure(failure)
        return Reply({"ok": True, "result": result})

    def _failure(self, failure: TelegramFailure) -> Reply:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": failure.status,
            "description": failure.description,
        }
        if failure.parameters:
            body["parameters"] = failure.parameters
        return Reply(body, failure.status)

    def fault_reply(self, fault: Fault, request: ApiRequest) -> Reply:
        if fault.kind == "rate_limit":
            return self.rate_limited_reply(fault.seconds, request)
        if fault.kind == "error":
            status = fault.status or 400
            return self._failure(TelegramFailure(status, fault.error or "Bad Request"))
        status = fault.status or 500
        return self._failure(TelegramFailure(status, "Internal Server Error"))

    def rate_limited_reply(self, wait: float, request: ApiRequest) -> Reply:
        seconds = whole_seconds(wait)
        return self._failure(
            TelegramFailure(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        )

    def bad_body_reply(self, message: str) -> Reply:
        return self._failure(TelegramFailure(400, f"Bad Request: {message}"))

    # ----------------------------------------------------------------- updates

    def _delete_commands(self, params: dict[str, Any]) -> bool:
        self.state.commands.pop(commands_key(params), None)
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.state.webhook = None
        if params.get("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling: wait up to ``timeout`` seconds for an update; newer polls win."""
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older poll still waiting must give up (409)
        deadline = time.monotonic() + max(0, int(params.get("timeout") or 0))
        while True:
            with self.lock:
                if self.state.webhook is not None:
                    raise TelegramFailure(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first",
                    )
                if generation != self._poll_generation:
                    raise TelegramFailure(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                found = self.state.pending(params)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0 or self.stopping:
                return found
            params = {**params, "offset": None}  # confirm once, not on every wake-up
            await self.wait_changed(remaining)

    def next_update_id(self) -> int:
        with self.lock:
            self._next_update_id += 1
            return self._next_update_id

    def enqueue_update(self, update: dict[str, Any]) -> None:
        """Queue an update for the bot's getUpdates (what the driver does when polling)."""
        with self.lock:
            self.state.updates.append(copy.deepcopy(update))
        self.changed()


def _bot_flags() -> dict[str, Any]:
    return {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }
