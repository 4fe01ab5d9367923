"""A platform answer that cannot be read is a sent message, never a reason to send again.

The emulators perform the call and then answer in a slightly different JSON shape than the
platform documents (a field renamed, the result wrapped one level deeper). The bot must
count the message as sent — reference unknown, logged — and post it exactly once.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot.models import OutboxMessage, OutboxStatus
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.slack_world import PartnerSpec, slack_settings, slack_world
from tests.support.telegram_world import telegram_settings, telegram_world


def slack_ts_renamed(body: dict[str, Any]) -> dict[str, Any]:
    """``ts`` is called ``timestamp``: slack_sdk reads the answer, our code finds no ``ts``."""
    body["timestamp"] = body.pop("ts")
    return body


def slack_without_ok(body: dict[str, Any]) -> dict[str, Any]:
    """The answer wrapped as ``{"result": …}`` without ``ok``: slack_sdk refuses to read it."""
    return {"result": body}


def telegram_wrapped(body: dict[str, Any]) -> dict[str, Any]:
    """``result`` wrapped one level deeper: python-telegram-bot cannot build a Message."""
    return {"ok": True, "result": {"message": body["result"]}}


async def _teaser_rows(runtime: Any) -> list[OutboxMessage]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "teaser")
        )
        return list(rows.all())


@pytest.mark.parametrize("reshape", [slack_ts_renamed, slack_without_ok])
async def test_slack_answer_in_another_shape_counts_as_posted(
    make_settings: Any,
    slack_emulator: SlackEmulator,
    caplog: pytest.LogCaptureFixture,
    reshape: Any,
) -> None:
    caplog.set_level(logging.WARNING, "bot.handlers.slack")
    settings = slack_settings(make_settings, slack_emulator)
    spec = PartnerSpec("P1", "C0PARTNER1", "U0REP00001")
    slack_emulator.faults.reshape(
        "chat.postMessage", reshape, when=lambda p: p.get("channel") == spec.channel
    )
    async with slack_world(settings, slack_emulator, [spec]) as world:
        await world.post_lead()
        await world.teaser(spec.channel)
        await world.settled()
        await world.bot.sender.flush(timeout=1)  # anything left to retry would go now
        rows = await _teaser_rows(world.bot.runtime)

    teasers = [m for m in slack_emulator.bot_messages(spec.channel) if m.button("lead_claim")]
    assert len(teasers) == 1
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.SENT, 1)]
    assert len(slack_emulator.calls("chat.postMessage", channel=spec.channel)) == 1
    assert "answer could not be read" in caplog.text and "reference unknown" in caplog.text


async def test_telegram_answer_in_another_shape_counts_as_sent(
    make_settings: Any,
    telegram_emulator: TelegramEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "bot.handlers.telegram")
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        group = world.groups[0]
        telegram_emulator.faults.reshape(
            "sendMessage", telegram_wrapped, when=lambda p: str(p.get("chat_id")) == str(group)
        )
        await world.post_lead()
        await world.teaser(group)
        await world.settled()
        await world.bot.sender.flush(timeout=1)
        rows = await _teaser_rows(world.runtime)

    assert len(telegram_emulator.bot_messages(group)) == 1
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.SENT, 1)]
    assert "answer could not be read" in caplog.text and "reference unknown" in caplog.text
