"""Long polling survives what it did not expect: an unreadable update, a strange answer.

The bot polls the Telegram emulator (``[telegram] mode = "polling"``). An update PTB cannot
read is skipped — the next command is answered and ``/healthz`` tells that one was
skipped; a ``getUpdates`` answer that is not a list of updates ends the polling task, the
supervisor restarts it, ``/healthz`` shows it as restarting meanwhile, and the bot answers
again once Telegram does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from tests.support.logs import assert_clean_log, capture_like_serve
from tests.support.telegram_world import telegram_settings, telegram_world

POLLING = {"mode": "polling", "webhook_secret": None}


async def healthz(url: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        answer = await http.get(f"{url}/healthz")
    return answer.status_code, answer.json()


async def test_an_unreadable_update_is_skipped_and_the_next_command_answered(
    make_settings, telegram_emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = telegram_settings(make_settings, telegram_emulator, telegram=POLLING)
    async with telegram_world(settings, telegram_emulator, partners=1, webhook=False) as world:
        user = world.users[0]
        unreadable = {
            "update_id": telegram_emulator.next_update_id(),
            "message": "Maria Huber, +49 89 5550123",  # not a Message object
        }
        telegram_emulator.enqueue_update(unreadable)
        typed = await world.driver.command(user, "help")
        await world.private(user, lambda m: "/leads" in m.plain_text)
        assert telegram_emulator.was_fetched(typed.update_id)

        status, health = await healthz(world.bot.url)
        assert status == 200 and health["status"] == "degraded"
        polling = health["parts"]["telegram:polling"]
        assert polling["state"] == "degraded"
        assert polling["detail"] == "skipped 1 unreadable update(s)"
        assert health["parts"]["task:telegram-polling"]["state"] == "ok"
    assert telegram_emulator.pending_updates() == []  # the unreadable one is confirmed too
    skipped = [r.getMessage() for r in caplog.records if "unreadable update" in r.getMessage()]
    assert skipped == [
        f"telegram: skipped unreadable update {unreadable['update_id']} (AttributeError)"
    ]
    assert "Maria Huber" not in caplog.text and "5550123" not in caplog.text


async def test_an_update_with_an_id_beyond_64_bits_is_skipped_without_a_traceback(
    make_settings, telegram_emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A user id no 64-bit column holds used to reach the database and fail there
    (``OverflowError``/``DBAPIError`` with a traceback); it is an unreadable update."""
    capture_like_serve(caplog)
    settings = telegram_settings(make_settings, telegram_emulator, telegram=POLLING)
    async with telegram_world(settings, telegram_emulator, partners=1, webhook=False) as world:
        user, huge = world.users[0], 2**70
        sender = {"id": huge, "is_bot": False, "first_name": "Zebrafink"}
        message = {"message_id": 1, "date": 1_700_000_000, "from": sender, "text": "hello"}
        message["chat"] = {"id": huge, "type": "private", "first_name": "Zebrafink"}
        update_id = telegram_emulator.next_update_id()
        telegram_emulator.enqueue_update({"update_id": update_id, "message": message})
        typed = await world.driver.command(user, "help")
        await world.private(user, lambda m: "/leads" in m.plain_text)
        assert telegram_emulator.was_fetched(typed.update_id)
    assert telegram_emulator.pending_updates() == []
    skipped = [r.getMessage() for r in caplog.records if "unreadable update" in r.getMessage()]
    assert skipped == [
        f"telegram: skipped unreadable update {update_id} (a number wider than 64 bits)"
    ]
    assert_clean_log(caplog, "Zebrafink")


async def test_polling_that_fails_is_restarted_and_shown_as_restarting(
    make_settings, telegram_emulator
) -> None:
    settings = telegram_settings(make_settings, telegram_emulator, telegram=POLLING)
    async with telegram_world(settings, telegram_emulator, partners=1, webhook=False) as world:
        user = world.users[0]
        # Telegram answers getUpdates with an object instead of the list of updates, twice.
        garbage = telegram_emulator.faults.reshape(
            "getUpdates",
            lambda answer: {**answer, "result": {"updates": answer["result"]}},
            times=2,
        )
        await telegram_emulator.wait_for_async(
            lambda: garbage.remaining == 0, 15, "two garbled getUpdates answers"
        )
        status, health = await healthz(world.bot.url)
        task = health["parts"]["task:telegram-polling"]
        assert status == 200 and health["status"] == "degraded"
        assert task == {**task, "state": "degraded", "detail": "restarting after UnexpectedAnswer"}

        typed = await world.driver.command(user, "help")  # polled again by the restarted task
        await world.private(user, lambda m: "/leads" in m.plain_text, timeout=15)
        assert telegram_emulator.was_fetched(typed.update_id)


async def test_get_updates_failing_shows_the_task_failing_until_telegram_answers(
    make_settings, telegram_emulator
) -> None:
    """Telegram answering getUpdates with 502s: the polling task retries itself; /healthz
    says the task is failing (it showed ok, and "stuck" after five minutes), and ok again
    once a poll works."""
    settings = telegram_settings(make_settings, telegram_emulator, telegram=POLLING)
    async with telegram_world(settings, telegram_emulator, partners=1, webhook=False) as world:
        user = world.users[0]
        outage = telegram_emulator.faults.fail("getUpdates", times=3, status=502)
        await telegram_emulator.wait_for_async(
            lambda: outage.remaining == 0, 15, "three failed getUpdates calls"
        )
        status, health = await healthz(world.bot.url)
        task = health["parts"]["task:telegram-polling"]
        assert status == 200 and task["state"] == "degraded", task
        assert task["detail"].startswith("failing: "), task

        typed = await world.driver.command(user, "help")  # Telegram answers again
        await world.private(user, lambda m: "/leads" in m.plain_text, timeout=15)
        assert telegram_emulator.was_fetched(typed.update_id)
        for _ in range(50):  # the pass ends (and says so) just after the answer is sent
            _, health = await healthz(world.bot.url)
            if health["parts"]["task:telegram-polling"]["state"] == "ok":
                break
            await asyncio.sleep(0.1)
        assert health["parts"]["task:telegram-polling"]["state"] == "ok", health


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # slow: one is enough
async def test_polling_that_was_down_is_recovering_once_it_polls_again(
    make_settings, telegram_emulator
) -> None:
    """Five garbled answers in a row make the task ``down`` (503). Once Telegram answers
    sensibly, the restarted task is ``degraded`` (recovering) and ``/healthz`` 200 as soon
    as it has polled — it used to stay ``down`` for the minute a run needs to be stable.

    Slow on purpose (about 50 s): the supervisor's real backoff, 1+2+5+10 s to ``down``,
    then up to 30 s to the next attempt."""
    polling = {**POLLING, "poll_timeout_seconds": 2}
    settings = telegram_settings(make_settings, telegram_emulator, telegram=polling)
    async with telegram_world(settings, telegram_emulator, partners=1, webhook=False) as world:
        user = world.users[0]
        garbage = telegram_emulator.faults.reshape(
            "getUpdates", lambda answer: {"ok": True, "result": {"x": 1}}, times=200
        )

        async def task_state() -> tuple[int, str, str]:
            status, health = await healthz(world.bot.url)
            task = health["parts"]["task:telegram-polling"]
            return status, task["state"], task["detail"]

        down = "failed 5 times in a row (last: UnexpectedAnswer); retrying every 30s"
        deadline = asyncio.get_running_loop().time() + 40
        while (state := await task_state())[1] != "down":
            assert asyncio.get_running_loop().time() < deadline, f"never down: {state}"
            await asyncio.sleep(0.2)
        assert state == (503, "down", down)

        telegram_emulator.faults.clear()  # Telegram answers sensibly again
        assert garbage.remaining > 0
        deadline = asyncio.get_running_loop().time() + 40
        while (state := await task_state())[1] == "down":
            assert asyncio.get_running_loop().time() < deadline, f"still down: {state}"
            await asyncio.sleep(0.2)
        assert state == (200, "degraded", "recovering after UnexpectedAnswer")
        status, health = await healthz(world.bot.url)
        assert (status, health["status"]) == (200, "degraded")
        assert health["parts"]["telegram:polling"]["state"] == "ok"

        typed = await world.driver.command(user, "help")  # and it answers again
        await world.private(user, lambda m: "/leads" in m.plain_text, timeout=15)
        assert telegram_emulator.was_fetched(typed.update_id)
        assert (await task_state())[:2] == (200, "degraded")  # ok only after a stable minute
