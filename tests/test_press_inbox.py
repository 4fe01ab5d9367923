"""The press inbox's promises, against the real database: a stored press is decided once
it can be, a press the database could not decide is tried again after its lease, one that
keeps failing is given up with the presser told, and a repeated delivery is stored once.

The platform's side is a test implementation of :class:`bot.inbox.PressHandler` (the Slack
one is exercised end to end in test_slack_press_ack.py, test_press_crash.py and
test_slack_socket_mode.py); the clock is the runtime's manual clock, so a lease runs out
when the test says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.clock import ManualClock
from bot.inbox import Accepted, Press, PressInbox, worker
from bot.models import PendingPress
from bot.runtime import Runtime
from tests.support.world import eventually


class FlakyDecider:
    """Decides presses; the database "fails" (an outage error) for the first ``failures``."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.handled: list[tuple[str, int]] = []
        self.given_up: list[str] = []

    async def handle(self, press: Press) -> None:
        self.handled.append((press.key, press.attempts))
        if len(self.handled) <= self.failures:
            raise OperationalError("UPDATE offers ...", {}, Exception("database is locked"))

    async def failed(self, press: Press, error: BaseException) -> None:
        self.given_up.append(press.key)


def press(key: str) -> Press:
    return Press(key=key, platform="slack", user_id="U0001", action="lead_claim", value="7")


async def pending(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(PendingPress)) or 0)


@contextlib.asynccontextmanager
async def working(inbox: PressInbox) -> AsyncIterator[None]:
    task = asyncio.create_task(inbox.run_forever())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture(autouse=True)
def quick_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "SWEEP_SECONDS", 0.05)


async def test_a_press_the_database_could_not_decide_is_tried_again_after_its_lease(
    runtime: Runtime, clock: ManualClock
) -> None:
    decider = FlakyDecider(failures=1)
    inbox = PressInbox(runtime, decider)
    async with working(inbox):
        assert await inbox.accept(press("slack:trigger:1")) is Accepted.STORED
        await eventually(lambda: decider.handled == [("slack:trigger:1", 1)])
        await asyncio.sleep(0.3)  # several sweeps: the lease still holds, no second try
        assert len(decider.handled) == 1 and await pending(runtime) == 1
        clock.advance(seconds=11)  # the lease (10 s) has run out
        await eventually(lambda: len(decider.handled) == 2)
        assert decider.handled[1] == ("slack:trigger:1", 2)
        await eventually(lambda: _none_pending(runtime))
    assert decider.given_up == []


async def _none_pending(runtime: Runtime) -> bool:
    return await pending(runtime) == 0


async def test_a_press_that_keeps_failing_is_given_up_and_its_presser_told(
    runtime: Runtime, clock: ManualClock
) -> None:
    decider = FlakyDecider(failures=1_000)
    inbox = PressInbox(runtime, decider)
    async with working(inbox):
        await inbox.accept(press("slack:trigger:2"))
        for attempt in range(1, worker.MAX_ATTEMPTS + 1):
            await eventually(lambda attempt=attempt: len(decider.handled) == attempt)
            clock.advance(seconds=11)
        await eventually(lambda: decider.given_up == ["slack:trigger:2"])
        await eventually(lambda: _none_pending(runtime))
    assert [attempts for _, attempts in decider.handled] == [1, 2, 3, 4, 5]


async def test_a_repeated_delivery_is_stored_and_decided_once(runtime: Runtime) -> None:
    decider = FlakyDecider(failures=0)
    inbox = PressInbox(runtime, decider)
    async with working(inbox):
        together = await asyncio.gather(*(inbox.accept(press("slack:trigger:3")) for _ in range(3)))
        assert sorted(together) == sorted([Accepted.STORED, Accepted.REPEATED, Accepted.REPEATED])
        assert await inbox.accept(press("slack:trigger:3")) is Accepted.REPEATED  # a retry
        await eventually(lambda: _none_pending(runtime))
        assert await inbox.accept(press("slack:trigger:3")) is Accepted.REPEATED  # answered
    assert decider.handled == [("slack:trigger:3", 1)]


class HeldDecider(FlakyDecider):
    """Decides presses, but the first one hangs until the loop deciding it is stopped."""

    def __init__(self) -> None:
        super().__init__(failures=0)
        self.hanging = asyncio.Event()

    async def handle(self, press: Press) -> None:
        if not self.hanging.is_set():
            self.hanging.set()
            await asyncio.Event().wait()  # cancelled when the loop stops
        await super().handle(press)


async def test_a_press_cut_off_by_a_stopped_loop_is_decided_when_the_loop_runs_again(
    runtime: Runtime, clock: ManualClock
) -> None:
    """The loop ends while a press is being decided (an error in a sweep, which the
    supervisor answers by starting the loop again, ends it the same way as here); the press
    is neither lost nor kept for ever by a process that no longer works on it."""
    decider = HeldDecider()
    inbox = PressInbox(runtime, decider)
    async with working(inbox):
        assert await inbox.accept(press("slack:trigger:4")) is Accepted.STORED
        await asyncio.wait_for(decider.hanging.wait(), 10)
    assert decider.handled == [] and await pending(runtime) == 1  # stopped mid-decision
    async with working(inbox):  # started again
        clock.advance(seconds=1)
        await eventually(lambda: decider.handled == [("slack:trigger:4", 2)])
        await eventually(lambda: _none_pending(runtime))
