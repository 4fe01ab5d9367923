"""Setting up and reading the Telegram emulator's world: users, groups, messages, answers.

Everything returned is a copy taken under the emulator's lock, so a test can keep and
compare it while the bot goes on changing the live state.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.emulators.telegram.models import CallbackAnswer, TgChat, TgMessage, TgUser, Webhook
from tests.emulators.telegram.state import TelegramState

if TYPE_CHECKING:
    from tests.emulators.telegram.driver import TelegramDriver


class TelegramQueries:
    """Mixin for :class:`~tests.emulators.telegram.server.TelegramEmulator`."""

    lock: threading.RLock
    state: TelegramState
    changed: Callable[[], None]

    # ----------------------------------------------------------------- setup

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "de",
    ) -> TgUser:
        """Make a Telegram user known (the driver's ``user()`` does this too)."""
        with self.lock:
            user = TgUser(user_id, first_name, username, last_name, language_code)
            self.state.users[user_id] = user
            return copy.deepcopy(user)

    def add_group(
        self,
        chat_id: int,
        title: str = "Test group",
        *,
        type: str = "supergroup",
        username: str | None = None,
        bot_member: bool = True,
    ) -> TgChat:
        """Make a group (negative id) the bot can post to, unless ``bot_member=False``."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        with self.lock:
            chat = TgChat(chat_id, type, title=title, username=username, bot_member=bot_member)
            self.state.chats[chat_id] = chat
            self.state.messages.setdefault(chat_id, [])
            return copy.deepcopy(chat)

    def start_user(self, user_id: int) -> None:
        """Mark that the user has started the bot (the driver's ``/start`` does this)."""
        with self.lock:
            user = self.state.users.get(user_id) or TgUser(user_id, "Test", language_code="de")
            self.state.users[user_id] = user
            self.state.private_chat(user)
            self.state.started.add(user_id)
            self.state.blocked.discard(user_id)
        self.changed()

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sends to them now fail with 403."""
        with self.lock:
            self.state.blocked.add(user_id)
        self.changed()

    def driver(self, **options: Any) -> TelegramDriver:
        """A :class:`TelegramDriver` playing this emulator's users towards the bot."""
        from tests.emulators.telegram.driver import TelegramDriver

        return TelegramDriver(self, **options)

    # ----------------------------------------------------------------- queries (copies)

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[TgMessage]:
        """Messages in a chat (bot's and users'), oldest first."""
        with self.lock:
            found = self.state.messages.get(chat_id, [])
            return copy.deepcopy([m for m in found if include_deleted or not m.deleted])

    def bot_message_times(self, chat_id: int) -> list[float]:
        """When each bot message in the chat was sent (``time.time()``), oldest first.

        Cheap (no copies), for benchmarks that watch hundreds of chats."""
        with self.lock:
            found = self.state.messages.get(chat_id, [])
            return [m.at for m in found if m.from_bot and not m.deleted]

    def bot_messages(self, chat_id: int) -> list[TgMessage]:
        return [m for m in self.messages(chat_id) if m.from_bot]

    def last_message(self, chat_id: int) -> TgMessage | None:
        """The newest message the bot sent to this chat."""
        found = self.bot_messages(chat_id)
        return found[-1] if found else None

    def message(self, chat_id: int, message_id: int) -> TgMessage:
        with self.lock:
            for message in self.state.messages.get(chat_id, []):
                if message.message_id == message_id:
                    return copy.deepcopy(message)
        raise LookupError(f"no message {message_id} in chat {chat_id}")

    def callback_answers(self, user_id: int | None = None) -> list[CallbackAnswer]:
        with self.lock:
            return copy.deepcopy(
                [a for a in self.state.answers if user_id is None or a.user_id == user_id]
            )

    def commands(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The command list set for this language (``""``: the default) and scope."""
        with self.lock:
            return self.state.get_commands({"language_code": language_code, "scope": scope})

    @property
    def webhook(self) -> Webhook | None:
        with self.lock:
            return copy.deepcopy(self.state.webhook)

    def started_users(self) -> set[int]:
        with self.lock:
            return set(self.state.started)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for getUpdates and not yet confirmed by an offset."""
        with self.lock:
            return copy.deepcopy(self.state.updates)

    def was_fetched(self, update_id: int) -> bool:
        """Whether getUpdates has handed this update to the bot."""
        with self.lock:
            return update_id in self.state.fetched
