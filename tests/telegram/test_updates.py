"""Telegram updates become plain values; what we do not handle becomes None."""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update

from bot.handlers.telegram.updates import (
    AddedToGroup,
    CommandIn,
    PressIn,
    TextIn,
    parse_update,
)

BOT = Bot("123:TEST")
ANNA = {"id": 42, "is_bot": False, "first_name": "Anna", "language_code": "en-GB"}
GROUP = {"id": -100, "type": "supergroup", "title": "Partner A"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Anna"}


def _update(**body: Any) -> Update:
    return Update.de_json({"update_id": 1, **body}, BOT)


def _message(text: str, chat: dict, entities: list | None = None, **extra: Any) -> Update:
    message = {"message_id": 5, "date": 0, "chat": chat, "from": ANNA, "text": text, **extra}
    if entities:
        message["entities"] = entities
    return _update(message=message)


def _command(text: str, chat: dict) -> Update:
    length = len(text.split()[0])
    return _message(text, chat, [{"type": "bot_command", "offset": 0, "length": length}])


def test_commands_with_arguments_and_a_bot_mention() -> None:
    parsed = parse_update(_command("/Lead 17 extra", PRIVATE), "leadbot")
    assert parsed == CommandIn(parsed.person, 42, True, "lead", ("17", "extra"), 5)
    assert parsed.person.language == "en"
    grouped = parse_update(_command("/leads@LeadBot", GROUP), "leadbot")
    assert isinstance(grouped, CommandIn) and grouped.name == "leads" and not grouped.private
    assert parse_update(_command("/leads@otherbot", GROUP), "leadbot") is None


def test_texts_replies_and_presses() -> None:
    reply = {"message_id": 4, "date": 0, "chat": PRIVATE, "text": "Umsatz?"}
    text = parse_update(_message(" 12.500 ", PRIVATE, reply_to_message=reply), "leadbot")
    assert isinstance(text, TextIn) and text.text == "12.500" and text.reply_to == 4
    message = {"message_id": 9, "date": 0, "chat": GROUP, "text": "teaser"}
    press = parse_update(
        _update(
            callback_query={
                "id": "q1",
                "from": ANNA,
                "chat_instance": "c",
                "data": "claim:3",
                "message": message,
            }
        ),
        "leadbot",
    )
    assert press == PressIn("q1", press.person, "claim:3", -100, 9, False)


def test_bot_added_to_a_group_but_not_other_membership_changes() -> None:
    def change(old: str, new: str, chat: dict) -> Update:
        member = {"id": 123, "is_bot": True, "first_name": "Leadbot"}
        return _update(
            my_chat_member={
                "chat": chat,
                "from": ANNA,
                "date": 0,
                "old_chat_member": {"status": old, "user": member},
                "new_chat_member": {"status": new, "user": member},
            }
        )

    added = parse_update(change("left", "member", GROUP), "leadbot")
    assert added == AddedToGroup(-100, "Partner A", added.by)
    assert parse_update(change("member", "left", GROUP), "leadbot") is None
    assert parse_update(change("left", "member", PRIVATE), "leadbot") is None


def test_what_we_do_not_handle_is_none() -> None:
    photo = _update(message={"message_id": 1, "date": 0, "chat": PRIVATE, "from": ANNA})
    assert parse_update(photo, "leadbot") is None
    edited = _update(
        edited_message={"message_id": 1, "date": 0, "chat": PRIVATE, "from": ANNA, "text": "x"}
    )
    assert parse_update(edited, "leadbot") is None
    from_bot = {"id": 7, "is_bot": True, "first_name": "Other"}
    assert (
        parse_update(
            _update(
                message={"message_id": 1, "date": 0, "chat": GROUP, "from": from_bot, "text": "hi"}
            ),
            "leadbot",
        )
        is None
    )
