"""The supervisor keeps a background job running and tells the health board how it goes.

Jobs here are small real coroutines that fail the way a loop does (an exception escapes);
the end-to-end case — Telegram polling restarted after a garbled getUpdates answer, seen in
``/healthz`` — is tests/telegram/test_polling_faults.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.health import HealthBoard, State
from bot.supervisor import DOWN_AFTER, supervise, working

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


async def test_a_task_that_was_down_is_recovering_as_soon_as_its_restart_works() -> None:
    """``down`` only while it keeps failing: the restarted run that does its work is
    ``degraded`` (recovering) at once, ``ok`` after a stable run — not ``down`` meanwhile."""
    health = HealthBoard()
    runs = 0
    fixed = asyncio.Event()

    async def poller() -> None:
        nonlocal runs
        runs += 1
        if runs <= DOWN_AFTER:
            raise TypeError("getUpdates answered a dict")
        await fixed.wait()
        working()  # one unit of work done
        await asyncio.Event().wait()

    task = asyncio.create_task(
        supervise("poller", poller, health, backoff=FAST, stable_seconds=1.0, running_seconds=30)
    )
    try:
        await until(lambda: runs == DOWN_AFTER + 1)
        await asyncio.sleep(0.1)
        assert health.reports()["task:poller"].state is State.DOWN  # running, nothing done yet
        fixed.set()
        await until(lambda: health.reports()["task:poller"].state is not State.DOWN, 0.5)
        report = health.reports()["task:poller"]
        assert (report.state, report.detail) == (State.DEGRADED, "recovering after TypeError")
        assert health.worst() is State.DEGRADED  # /healthz: 200 "degraded", no longer 503
        await until(lambda: health.reports()["task:poller"].state is State.OK, 3)
        assert health.reports()["task:poller"].detail == "running"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_restarted_job_that_does_not_report_its_work_is_recovering_once_it_runs() -> None:
    health = HealthBoard()
    runs = 0

    async def quiet() -> None:
        nonlocal runs
        runs += 1
        if runs <= DOWN_AFTER:
            raise OSError("no route")
        await asyncio.Event().wait()

    task = asyncio.create_task(
        supervise("quiet", quiet, health, backoff=FAST, stable_seconds=5, running_seconds=0.3)
    )
    try:
        await until(lambda: runs == DOWN_AFTER + 1)
        assert health.reports()["task:quiet"].state is State.DOWN
        await until(lambda: health.reports()["task:quiet"].state is State.DEGRADED, 2)
        assert health.reports()["task:quiet"].detail == "recovering after OSError"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_restarted_job_that_fails_again_is_down_again() -> None:
    health = HealthBoard()
    runs = 0

    async def relapse() -> None:
        nonlocal runs
        runs += 1
        if runs == DOWN_AFTER + 1:
            working()  # it seemed to work for a moment …
            await asyncio.sleep(0.05)
        raise ValueError("bad answer")  # … and fails again

    task = asyncio.create_task(supervise("relapse", relapse, health, backoff=FAST))
    try:
        await until(lambda: runs == DOWN_AFTER + 1)
        await until(lambda: health.reports()["task:relapse"].state is State.DEGRADED)
        await until(lambda: health.reports()["task:relapse"].state is State.DOWN)
        assert (
            "failed 6 times in a row (last: ValueError)" in health.reports()["task:relapse"].detail
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_job_whose_loop_stops_reporting_passes_is_shown_stuck_until_it_reports() -> None:
    """A loop that reported its passes and then waits on something that never comes (no
    exception, so no restart) is ``degraded`` "stuck" once its next pass is overdue."""
    health = HealthBoard()
    go_on = asyncio.Event()
    resumed = asyncio.Event()

    async def hangs() -> None:
        working("slack", within=0.2)
        working("heartbeat", within=60)
        await go_on.wait()  # stuck: nothing ever sets it on its own
        working("slack", within=60)
        resumed.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(supervise("sender", hangs, health, backoff=FAST))
    try:
        await until(lambda: health.reports().get("task:sender") is not None)
        first = health.reports()["task:sender"]
        assert (first.state, first.detail) == (State.OK, "running")
        assert first.progress is not None and first.progress.last_pass is not None
        await until(lambda: health.reports()["task:sender"].state is State.DEGRADED)
        stuck = health.reports()["task:sender"]
        assert stuck.detail.startswith("stuck (slack): no pass finished for ")
        assert health.worst() is State.DEGRADED
        go_on.set()
        await resumed.wait()
        report = health.reports()["task:sender"]
        assert (report.state, report.detail) == (State.OK, "running")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
