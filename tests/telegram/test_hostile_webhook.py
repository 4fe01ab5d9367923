"""``/telegram/webhook`` with the right secret but a body that is not an update: 400.

The docs promise 400 for anything that is not an update; a non-update that parsed as JSON
(``{"update_id": 1, "message": "hello"}``) or deep nesting used to end in a 500 with a
traceback. Nothing is processed, nothing is sent, nothing of the body is logged.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.models import LeadStatus, SeenDelivery
from bot.runtime import Runtime
from tests.support.logs import assert_clean_log, capture_like_serve
from tests.support.telegram_world import telegram_settings, telegram_world

MARKER = "Zebrafink"
BEYOND_64_BITS = 2**70


def start_from(user_id: int, chat_id: int | None = None, update_id: int = 9) -> bytes:
    """``/start`` written by ``user_id`` (in their private chat, or in ``chat_id``)."""
    sender = {"id": user_id, "is_bot": False, "first_name": MARKER}
    chat = {"id": user_id if chat_id is None else chat_id, "type": "private"}
    command = [{"type": "bot_command", "offset": 0, "length": 6}]
    message: dict[str, Any] = {"message_id": 1, "date": 1_700_000_000, "chat": chat}
    message |= {"from": sender, "text": "/start", "entities": command}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def press_from(user_id: int) -> bytes:
    """A press on a Claim button by ``user_id``."""
    sender = {"id": user_id, "is_bot": False, "first_name": MARKER}
    query = {"id": "1", "from": sender, "chat_instance": "1", "data": "claim:1"}
    return json.dumps({"update_id": 10, "callback_query": query}).encode()


NOT_UPDATES = {
    "message is text": b'{"update_id": 1, "message": "Zebrafink"}',
    "message is a list": b'{"update_id": 2, "message": ["Zebrafink"]}',
    "message lacks fields": b'{"update_id": 3, "message": {"message_id": 1, "text": "Zebrafink"}}',
    "callback lacks fields": b'{"update_id": 4, "callback_query": {"id": "Zebrafink"}}',
    "no update_id": b'{"message": {"text": "Zebrafink"}}',
    "update_id is text": b'{"update_id": "Zebrafink"}',
    "update_id is true": b'{"update_id": true, "x": "Zebrafink"}',
    "JSON array": b'["Zebrafink"]',
    "JSON null": b"null",
    "deep nesting": b'{"update_id": 5, "x": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
    "40 levels": b'{"update_id": 6, "x": ' + b"[" * 40 + b"]" * 40 + b"}",
    "NaN": b'{"update_id": 7, "x": NaN, "y": "Zebrafink"}',
    "not UTF-8": b'{"update_id": 8, "x": "\xff Zebrafink"}',
    "UTF-16": start_from(555).decode().encode("utf-16"),  # RFC 8259: JSON is UTF-8
    # The Bot API's ids fit in 52 bits; a wider one used to reach the database and fail.
    "user id beyond 64 bits": start_from(BEYOND_64_BITS),
    "group id beyond 64 bits": start_from(555, chat_id=-BEYOND_64_BITS),
    "presser beyond 64 bits": press_from(BEYOND_64_BITS),
    "update_id beyond 64 bits": start_from(555, update_id=BEYOND_64_BITS),
}


async def seen_marks(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(SeenDelivery)))


@pytest.mark.parametrize("case", list(NOT_UPDATES))
async def test_a_non_update_with_the_right_secret_is_400(
    make_settings, telegram_emulator, caplog, case: str
) -> None:
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        sent_before = len(world.tg.calls("sendMessage"))
        seen_before = await seen_marks(world.runtime)
        capture_like_serve(caplog)
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{world.bot.url}/telegram/webhook",
                content=NOT_UPDATES[case],
                headers={"X-Telegram-Bot-Api-Secret-Token": world.tg.webhook.secret_token},
            )
        assert answer.status_code == 400, answer.text
        assert answer.text == "not a Telegram update"
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED
        assert len(world.tg.calls("sendMessage")) == sent_before
        assert await seen_marks(world.runtime) == seen_before
    refused = [
        r for r in caplog.records if "refused a body that is not an update" in r.getMessage()
    ]
    assert [r.levelname for r in refused] == ["INFO"]
    assert_clean_log(caplog, MARKER)


async def test_an_oversized_update_is_413(make_settings, telegram_emulator, caplog) -> None:
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        capture_like_serve(caplog)
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{world.bot.url}/telegram/webhook",
                content=b'{"update_id": 1, "x": "' + MARKER.encode() * 200_000 + b'"}',
                headers={"X-Telegram-Bot-Api-Secret-Token": world.tg.webhook.secret_token},
            )
        assert answer.status_code == 413
    assert_clean_log(caplog, MARKER)
