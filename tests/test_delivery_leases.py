"""Several senders on one outbox: leases, take-over after a crash, split work, shared limits.

Each ``OutboxSender`` below stands for one ``leadbot serve`` process (its own runtime and
name on the rows it holds). The clock is a ManualClock: leases run out when the test moves
it, never by waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery.notices import Delivery, MessageRef, NoticeKind, TeaserView, ToStaff
from bot.delivery.sender import OutboxSender
from bot.delivery.transports import RateLimit
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, ChatMessage, OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime
from tests.support.databases import REDIS_URL
from tests.support.factories import add_partner, lead_payload
from tests.support.recording import RecordingTransport


class Stuck(RecordingTransport):
    """Takes a delivery and never answers: the process dies (or hangs) mid-send."""

    def __init__(self) -> None:
        super().__init__(Platform.CONSOLE)
        self.arrived = asyncio.Event()

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        self.deliveries.append(delivery)
        self.arrived.set()
        await asyncio.Event().wait()
        return None


class Meeting(RecordingTransport):
    """Holds its deliveries until every other sender in the meeting has one in hand.

    With at most a few rows in flight per sender, the first sender cannot take the whole
    queue before the second has started: the passes overlap by construction, not by a
    sleep that a busy machine may outrun."""

    def __init__(self, everyone: list[asyncio.Event]) -> None:
        super().__init__(Platform.CONSOLE)
        self.mine = asyncio.Event()
        self.everyone = everyone
        everyone.append(self.mine)

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        self.mine.set()
        waiting = asyncio.gather(*(e.wait() for e in self.everyone))
        with contextlib.suppress(TimeoutError):  # a hang guard: the assertions then fail
            await asyncio.wait_for(waiting, 10)
        return await super().deliver(delivery)


class Shared(RecordingTransport):
    """One bucket for the whole platform: 10 messages at once."""

    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        return (RateLimit("test:shared", 0.01, 10, shared=True),)


async def _staff_notice(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await uow.outbox.enqueue(ToStaff(), NoticeKind.STAFF, {"event": "erased", "params": {}})
        await uow.commit()


async def _rows(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.uow() as uow:
        return list((await uow.session.scalars(select(OutboxMessage))).all())


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
async def coordinated(
    request: pytest.FixtureRequest, settings: Settings, clock: ManualClock
) -> AsyncIterator[Runtime]:
    """The runtime without Redis, and with it (leases live in the database either way)."""
    if request.param == "redis":
        prefix = f"leadbot-test:{uuid.uuid4().hex}:"
        settings = settings.model_copy(
            update={
                "redis": settings.redis.model_copy(update={"url": REDIS_URL, "key_prefix": prefix})
            }
        )
    runtime = Runtime.create(settings, clock=clock)
    yield runtime
    await runtime.close()


async def test_a_dead_senders_rows_are_taken_over_after_the_lease_in_doubt(
    coordinated: Runtime, clock: ManualClock
) -> None:
    runtime = coordinated
    await _staff_notice(runtime)
    stuck = Stuck()
    dying = asyncio.create_task(OutboxSender(runtime, {Platform.CONSOLE: stuck}).drain())
    await asyncio.wait_for(stuck.arrived.wait(), 10)
    dying.cancel()  # the process is gone; its row stays claimed until the lease ends
    await asyncio.gather(dying, return_exceptions=True)

    transport = RecordingTransport()
    other = OutboxSender(runtime, {Platform.CONSOLE: transport})
    assert await other.drain() == 0
    clock.advance(seconds=runtime.settings.outbox.lock_seconds - 0.5)
    assert await other.drain() == 0
    clock.advance(seconds=1)
    assert await other.drain() == 1
    [taken_over] = transport.deliveries
    assert taken_over.in_doubt  # it may have gone out: platforms that can look, look first
    [row] = await _rows(runtime)
    assert (row.status, row.in_doubt, row.claimed_by) == (OutboxStatus.SENT, False, None)


async def test_the_heartbeat_keeps_a_long_send_leased(runtime: Runtime, clock: ManualClock) -> None:
    await _staff_notice(runtime)
    stuck = Stuck()
    holder = OutboxSender(runtime, {Platform.CONSOLE: stuck})
    sending = asyncio.create_task(holder.drain())
    await asyncio.wait_for(stuck.arrived.wait(), 10)
    lease = runtime.settings.outbox.lock_seconds
    other = OutboxSender(runtime, {Platform.CONSOLE: RecordingTransport()})
    try:
        clock.advance(seconds=lease * 2 / 3)
        assert await holder.renew_leases() == 1  # a heartbeat
        clock.advance(seconds=lease * 2 / 3)  # past the first lease, within the renewed one
        assert await other.drain() == 0
        clock.advance(seconds=lease / 2)  # no heartbeat since: the lease has run out
        assert await other.drain() == 1
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)


@asynccontextmanager
async def _processes(
    settings: Settings, clock: ManualClock, n: int
) -> AsyncIterator[list[Runtime]]:
    runtimes = [Runtime.create(settings, clock=clock) for _ in range(n)]
    try:
        yield runtimes
    finally:
        for runtime in runtimes:
            await runtime.close()


async def _until_empty(sender: OutboxSender) -> None:
    """Pass after pass, as ``serve``'s worker does on its wake-ups, until the queue is empty.

    One pass may find nothing: on PostgreSQL its candidates can be exactly the rows the
    other sender is locking that moment (``SKIP LOCKED``); the next pass finds the rest."""
    async with asyncio.timeout(30):  # a hang guard
        while await sender.pending():
            await sender.drain()
            await asyncio.sleep(0.01)


async def test_two_processes_split_the_due_rows(make_settings: Any, clock: ManualClock) -> None:
    settings = make_settings(
        distribution={"waves": [{"size": 0, "minutes": 600}]},
        outbox={"batch_size": 4, "max_in_flight": 4},
    )
    async with _processes(settings, clock, 2) as (one, two):
        async with one.uow() as uow:
            for n in range(24):
                await add_partner(uow, f"P{n:02d}")
            await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
            await uow.commit()
        everyone: list[asyncio.Event] = []
        transports = [Meeting(everyone), Meeting(everyone)]
        senders = [
            OutboxSender(rt, {Platform.CONSOLE: t})
            for rt, t in zip((one, two), transports, strict=True)
        ]
        await asyncio.gather(*(_until_empty(s) for s in senders))
        rows = await _rows(one)

    teasers = [
        [d.address for d in t.deliveries if isinstance(d.view, TeaserView)] for t in transports
    ]
    assert all(teasers)  # both processes sent some
    assert sorted(teasers[0] + teasers[1]) == [f"partner:P{n:02d}" for n in range(24)]  # once each
    assert {r.status for r in rows} == {OutboxStatus.SENT}


@pytest.mark.redis
async def test_processes_share_a_platforms_limit_through_redis(
    make_settings: Any, clock: ManualClock
) -> None:
    prefix = f"leadbot-test:{uuid.uuid4().hex}:"
    settings = make_settings(redis={"url": REDIS_URL, "key_prefix": prefix})
    async with _processes(settings, clock, 2) as runtimes:
        async with runtimes[0].uow() as uow:
            for n in range(16):
                await uow.outbox.enqueue(
                    ToStaff(), NoticeKind.STAFF, {"event": "erased", "params": {"n": n}}
                )
            await uow.commit()
        transports = [Shared(Platform.CONSOLE), Shared(Platform.CONSOLE)]
        senders = [
            OutboxSender(rt, {Platform.CONSOLE: t})
            for rt, t in zip(runtimes, transports, strict=True)
        ]
        for _ in range(3):
            await asyncio.gather(*(s.drain() for s in senders))
    # Ten tokens for the platform, however many processes ask.
    assert len(transports[0].deliveries) + len(transports[1].deliveries) == 10


class Gated(RecordingTransport):
    """Delivers teasers at once but answers only when the test opens the gate: a send whose
    answer comes late. The message of an outbox row is the same whoever sends it — as a
    sender that checks a row in doubt finds the message an earlier attempt posted."""

    def __init__(self) -> None:
        super().__init__(Platform.CONSOLE)
        self.delivered = asyncio.Event()
        self.gate = asyncio.Event()

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        await super().deliver(delivery)
        if isinstance(delivery.view, TeaserView):
            self.delivered.set()
            await self.gate.wait()
        return MessageRef(delivery.address, f"m{delivery.outbox_id}")


async def _teaser_messages(runtime: Runtime) -> list[ChatMessage]:
    async with runtime.uow() as uow:
        return list((await uow.session.scalars(select(ChatMessage))).all())


async def test_a_teaser_sent_by_two_senders_is_marked_sent_and_remembered_once(
    runtime: Runtime, clock: ManualClock
) -> None:
    """A sender whose lease ran out while its platform was answering records nothing: the
    next holder took the row in doubt and found the same message (both references are
    message here). The late one used to record where the message went as well, and the
    holder's mark then broke the unique record of a chat message — its row was never
    marked sent and went out again after every lease."""
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        await uow.commit()
    late, holder = Gated(), Gated()
    late_sender = OutboxSender(runtime, {Platform.CONSOLE: late})
    holder_sender = OutboxSender(runtime, {Platform.CONSOLE: holder})
    late_pass = asyncio.create_task(late_sender.drain())
    holder_pass: asyncio.Task[int] | None = None
    try:
        await asyncio.wait_for(late.delivered.wait(), 10)
        clock.advance(seconds=runtime.settings.outbox.lock_seconds + 1)  # its lease is over
        holder_pass = asyncio.create_task(holder_sender.drain())
        await asyncio.wait_for(holder.delivered.wait(), 10)
        late.gate.set()  # the late answer is recorded first ...
        await asyncio.wait_for(late_pass, 10)
        holder.gate.set()  # ... then the holder's
        await asyncio.wait_for(holder_pass, 10)
    finally:
        late.gate.set()
        holder.gate.set()
        for task in (late_pass, holder_pass):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
    teasers = [r for r in await _rows(runtime) if r.address == "partner:P1"]
    assert [r.status for r in teasers] == [OutboxStatus.SENT]
    [message] = await _teaser_messages(runtime)
    assert (message.chat_id, message.message_id) == ("partner:P1", f"m{teasers[0].id}")
