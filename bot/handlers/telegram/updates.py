"""Telegram updates as plain values, one function per update type (as opsdroid's parsers).

Everything after this module works with these small frozen dataclasses, never with PTB's
``Update``: the handlers stay testable and the rest of the code does not care whether the
update came by webhook or by long polling. An update we do not handle parses to None.

Before that, :func:`read_update` turns the JSON both ways deliver into PTB's ``Update``,
or refuses it (:class:`Unreadable`) when it is not an update this bot can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Bot, Chat, Update, User

from bot.chat.ids import fits_int64
from bot.i18n import LANGUAGES


class Unreadable(ValueError):
    """Not an update this bot can read: the reason, nothing of the content, and its
    ``update_id`` when it has a usable one (polling confirms it, so it is not fetched again)."""

    def __init__(self, reason: str, update_id: int | None = None) -> None:
        super().__init__(reason)
        self.update_id = update_id


def _numbers_fit(data: Any) -> bool:
    """Whether every integer in ``data`` fits 64 bits. Iterative: no depth can exhaust it."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif type(node) is int and not fits_int64(node):
            return False
    return True


def read_update(data: Any, bot: Bot) -> Update:
    """``data`` — one JSON object from the webhook or ``getUpdates`` — as PTB's ``Update``.

    Raises :class:`Unreadable` for anything else: no integer ``update_id``, fields that are
    not what the Bot API sends, or a number wider than 64 bits. The Bot API has no such
    number (user and chat ids fit in 52 bits), and one would reach the database as a user
    or chat id, whose driver raises on it instead of finding nothing.
    """
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if type(update_id) is not int:
        raise Unreadable("no update_id")
    if not _numbers_fit(data):
        usable = update_id if fits_int64(update_id) else None
        raise Unreadable("a number wider than 64 bits", usable)
    try:
        return Update.de_json(data, bot)
    except Exception as exc:  # PTB raises whatever a wrong field type causes
        raise Unreadable(type(exc).__name__, update_id) from None


GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})


@dataclass(frozen=True)
class Person:
    """Who sent the update. ``language`` is Telegram's hint (de/en), if any."""

    user_id: int
    first_name: str
    language: str | None = None


@dataclass(frozen=True)
class CommandIn:
    """``/name arg …`` (in a group possibly ``/name@bot``)."""

    person: Person
    chat_id: int
    private: bool
    name: str
    args: tuple[str, ...]
    message_id: int


@dataclass(frozen=True)
class TextIn:
    """A plain text message (a reply to a question the bot asked, or chatter)."""

    person: Person
    chat_id: int
    private: bool
    text: str
    message_id: int
    reply_to: int | None = None
    reply_to_bot: bool = False  # a reply to one of this bot's messages (its question)


@dataclass(frozen=True)
class PressIn:
    """A press on an inline button; must be answered (``answerCallbackQuery``)."""

    query_id: str
    person: Person
    data: str
    chat_id: int | None
    message_id: int | None
    private: bool


@dataclass(frozen=True)
class AddedToGroup:
    """The bot was added to a group (so it can tell the group its chat id)."""

    chat_id: int
    title: str
    by: Person | None


Incoming = CommandIn | TextIn | PressIn | AddedToGroup


def _person(user: User | None) -> Person | None:
    if user is None or user.is_bot:
        return None
    code = (user.language_code or "").split("-")[0].lower()
    return Person(user.id, user.first_name, code if code in LANGUAGES else None)


def parse_message(update: Update, bot_username: str | None) -> CommandIn | TextIn | None:
    """A new message: a command (when its first entity is a bot command) or text."""
    message = update.message
    if message is None or message.text is None:
        return None
    person = _person(message.from_user)
    if person is None:
        return None
    private = message.chat.type == Chat.PRIVATE
    text = message.text
    entity = next(iter(message.entities or ()), None)
    if entity is not None and entity.type == "bot_command" and entity.offset == 0:
        head = text[: entity.length]
        name, _, mention = head[1:].partition("@")
        if mention and bot_username and mention.lower() != bot_username.lower():
            return None  # addressed to another bot in the same group
        args = tuple(text[entity.length :].split())
        return CommandIn(person, message.chat.id, private, name.lower(), args, message.message_id)
    replied = message.reply_to_message
    reply_to = replied.message_id if replied else None
    author = replied.from_user if replied else None
    to_bot = (
        author is not None
        and author.is_bot
        and (not bot_username or (author.username or "").lower() == bot_username.lower())
    )
    return TextIn(
        person, message.chat.id, private, text.strip(), message.message_id, reply_to, to_bot
    )


def parse_callback_query(update: Update) -> PressIn | None:
    query = update.callback_query
    if query is None:
        return None
    person = _person(query.from_user)
    if person is None:
        return None
    message = query.message
    chat_id = message.chat.id if message is not None else None
    message_id = message.message_id if message is not None else None
    private = message is not None and message.chat.type == Chat.PRIVATE
    return PressIn(query.id, person, query.data or "", chat_id, message_id, private)


def parse_my_chat_member(update: Update) -> AddedToGroup | None:
    """The bot's own membership changed: we care only about "added to a group"."""
    change = update.my_chat_member
    if change is None or change.chat.type not in GROUP_TYPES:
        return None
    before = change.old_chat_member.status
    after = change.new_chat_member.status
    inside = ("member", "administrator", "creator", "restricted")
    if after not in inside or before in inside:
        return None
    return AddedToGroup(change.chat.id, change.chat.title or "", _person(change.from_user))


def parse_update(update: Update, bot_username: str | None) -> Incoming | None:
    """Whichever of the above this update is, or None for updates we do not handle."""
    if update.callback_query is not None:
        return parse_callback_query(update)
    if update.message is not None:
        return parse_message(update, bot_username)
    if update.my_chat_member is not None:
        return parse_my_chat_member(update)
    return None
