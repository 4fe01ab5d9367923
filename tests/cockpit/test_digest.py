"""The weekly digest: a PNG chart with the week's figures and a cockpit link arrives in the
Slack staff channel (files_upload_v2) and the Telegram staff chat (sendPhoto) at the
configured time — once, although two bot processes share the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import ConfigError, load_settings
from bot.leads.scheduler import run_due_timers
from bot.models import OutboxMessage, Timer, TimerKind
from tests.emulators.fixtures import (
    SLACK_SIGNING_SECRET,
    SLACK_TOKEN,
    TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
)
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.botserver import running_bot
from tests.support.factories import lead_payload

STAFF_CHANNEL, STAFF_CHAT = "CSTAFF0001", -100_777
API_TOKEN = "digest-token"
PNG = b"\x89PNG\r\n\x1a\n"
MONDAY_8_BERLIN = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)


def _settings(make_settings: Any, slack: SlackEmulator, tg: TelegramEmulator) -> Any:
    slack.limits.disable()
    tg.limits.set("per_chat", per_second=50, burst=50)
    return make_settings(
        slack={
            "enabled": True,
            "api_url": slack.api_url,
            "staff_channel": STAFF_CHANNEL,
            "bot_token": SLACK_TOKEN,
            "signing_secret": SLACK_SIGNING_SECRET,
        },
        telegram={
            "enabled": True,
            "api_url": tg.bot_api_url,
            "token": TELEGRAM_TOKEN,
            "webhook_secret": TELEGRAM_WEBHOOK_SECRET,
            "webhook_url": "https://leadbot.example/telegram/webhook",
            "staff_chat_id": STAFF_CHAT,
        },
        console={"enabled": False},
        server={"api_token": API_TOKEN, "public_url": "https://leads.example.com"},
        staff={"language": "en"},
        reports={"digest": "mon 08:00"},
        outbox={"poll_seconds": 0.1},
    )


def _slack_digests(slack: SlackEmulator) -> list[Any]:
    return [m for m in slack.bot_messages(STAFF_CHANNEL) if m.files]


def _telegram_digests(tg: TelegramEmulator) -> list[Any]:
    return [m for m in tg.bot_messages(STAFF_CHAT) if m.photo is not None]


async def test_digest_arrives_once_at_the_configured_time(
    make_settings: Any, slack_emulator: SlackEmulator, telegram_emulator: TelegramEmulator
) -> None:
    slack, tg = slack_emulator, telegram_emulator
    slack.add_channel(STAFF_CHANNEL, "leadbot-staff")
    tg.add_group(STAFF_CHAT, "Staff")
    settings = _settings(make_settings, slack, tg)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # a Monday, after 08:00
    # Two processes on one database; their own scheduler loops sleep (one pass at start),
    # the test runs both schedulers' passes side by side instead.
    async with (
        running_bot(settings, clock=clock, scheduler_interval=3600) as one,
        running_bot(settings, clock=clock, scheduler_interval=3600) as two,
    ):
        async with httpx.AsyncClient(base_url=one.url) as http:
            answer = await http.post(
                "/api/leads",
                json=lead_payload(external_id="digest-1"),
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            )
            assert answer.status_code == 201
        runtimes = (one.runtime, two.runtime)

        async def both_pass() -> None:
            await asyncio.gather(*(run_due_timers(r) for r in runtimes))

        await both_pass()
        async with one.runtime.uow() as uow:
            timers = (
                await uow.session.scalars(select(Timer).where(Timer.kind == TimerKind.DIGEST))
            ).all()
        assert [t.due_at for t in timers] == [MONDAY_8_BERLIN]  # next Monday 08:00 Berlin

        clock.set(datetime(2026, 3, 9, 6, 59, tzinfo=UTC))
        await both_pass()
        await asyncio.gather(one.sender.flush(), two.sender.flush())
        assert _slack_digests(slack) == [] and _telegram_digests(tg) == []

        clock.set(MONDAY_8_BERLIN)
        await both_pass()
        await both_pass()
        await asyncio.gather(one.sender.flush(), two.sender.flush())
        posted = await slack.wait_for_async(lambda: _slack_digests(slack), 10, "the digest")
        photo = await tg.wait_for_async(lambda: _telegram_digests(tg), 10, "the digest")
        await asyncio.gather(one.sender.flush(), two.sender.flush())
        assert len(_slack_digests(slack)) == 1 and len(_telegram_digests(tg)) == 1

        async with one.runtime.uow() as uow:
            rows = (
                await uow.session.scalars(
                    select(OutboxMessage.platform).where(OutboxMessage.kind == "digest")
                )
            ).all()
            next_timer = await uow.session.scalar(
                select(Timer.due_at).where(Timer.kind == TimerKind.DIGEST, Timer.done_at.is_(None))
            )
    assert sorted(rows) == ["slack", "telegram"]
    assert next_timer == datetime(2026, 3, 16, 7, 0, tzinfo=UTC)

    message = posted[0]
    upload = message.files[0]
    assert slack.file_content(upload["id"]).startswith(PNG)
    assert upload["name"] == "leadbot-2026-03-02-2026-03-08.png"
    assert "Week 2026-03-02 – 2026-03-08" in message.text
    assert "1 lead received" in message.text
    assert "https://leads.example.com/cockpit?from=2026-03-02&amp;to=2026-03-08" in message.text
    assert [c.method for c in slack.recorder.calls() if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]

    sent = photo[0]
    assert sent.photo["data"].startswith(PNG) and sent.photo["size"] > 1000
    assert "Week 2026-03-02 – 2026-03-08" in sent.plain_text
    assert "https://leads.example.com/cockpit?from=2026-03-02&to=2026-03-08" in sent.plain_text


@pytest.mark.parametrize("value", ["monday 08:00", "mon 8", "mon 24:00", "xyz 08:00", "mon 08:60"])
def test_a_bad_digest_time_is_refused_at_start(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings("/nonexistent.toml", {"LEADBOT_REPORTS__DIGEST": value}, must_exist=False)
    assert "reports.digest" in str(refused.value) or "digest" in str(refused.value)
    assert "mon 08:00" in str(refused.value) or "valid time" in str(refused.value)
