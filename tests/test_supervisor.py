"""The supervisor keeps a background job running and tells the health board how it goes.

Jobs here are small real coroutines that fail the way a loop does (an exception escapes);
the end-to-end case — Telegram polling restarted after a garbled getUpdates answer, seen in
``/healthz`` — is tests/telegram/test_polling_faults.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.health import HealthBoard, State
from bot.supervisor import DOWN_AFTER, supervise

FAST = (0.01, 0.02, 0.05)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_failing_job_is_restarted_degraded_then_down() -> None:
    health = HealthBoard()
    runs = 0

    async def broken() -> None:
        nonlocal runs
        runs += 1
        raise ConnectionResetError("peer went away")

    task = asyncio.create_task(supervise("feeds", broken, health, backoff=FAST))
    try:
        await until(lambda: runs >= 2)
        report = health.reports()["task:feeds"]
        assert (report.state, report.detail) == (
            State.DEGRADED,
            "restarting after ConnectionResetError",
        )
        await until(lambda: runs >= DOWN_AFTER + 1)
        report = health.reports()["task:feeds"]
        assert report.state is State.DOWN
        assert "times in a row (last: ConnectionResetError)" in report.detail
        assert "peer went away" not in report.detail  # the type, never the message
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_job_that_runs_again_turns_ok_and_one_that_returns_is_done() -> None:
    health = HealthBoard()
    runs = 0
    steady = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise ValueError("bad answer")
        await steady.wait()

    task = asyncio.create_task(supervise("sender", flaky, health, backoff=FAST, stable_seconds=0.2))
    try:
        await until(lambda: runs == 3)
        assert health.reports()["task:sender"].state is State.DEGRADED  # just restarted
        await until(lambda: health.reports()["task:sender"].state is State.OK)
        steady.set()  # now the job returns: nothing more to do
        await asyncio.wait_for(task, 5)
        assert "task:sender" not in health.reports()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
