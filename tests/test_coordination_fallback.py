"""Redis is optional for correctness: the coordination falls back when Redis goes away.

Two runtimes stand for two bot processes on one database and one Redis — a
``redis-server`` of the test's own, which the test kills or freezes (SIGSTOP) mid-test.
What must hold: no operation raises or hangs, de-duplication stays shared (through the
database), rate limits and values keep working per process, leases stay single-holder,
``/healthz``'s part ``"redis"`` says degraded and then ok, and the pool is bounded.
Every wait here is a hang guard, not a speed claim.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import TypeVar

import pytest

from bot.clock import ManualClock
from bot.coordination import Bucket
from bot.health import State
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.support.redisproc import RedisServer, free_port, redis_server

T = TypeVar("T")
HANG_GUARD = 5.0


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
async def processes(
    make_settings: SettingsFactory, redis: RedisServer, clock: ManualClock
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """Two runtimes ("processes") sharing the database and the test's Redis."""
    async with AsyncExitStack() as stack:
        pair = []
        for _ in range(2):
            runtime = Runtime.create(
                make_settings(redis={"url": redis.url, "max_connections": 4}), clock=clock
            )
            stack.push_async_callback(runtime.close)
            pair.append(runtime)
        yield pair[0], pair[1]


async def answered(call: Awaitable[T]) -> T:
    """The call's answer; failing (not hanging) if there is none within the hang guard."""
    return await asyncio.wait_for(call, HANG_GUARD)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    try:
        async with asyncio.timeout(HANG_GUARD * 3):
            while not await check():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"not seen in time: {what}") from None


def redis_state(runtime: Runtime) -> State | None:
    report = runtime.health.reports().get("redis")
    return None if report is None else report.state


async def both_use_redis_again(one: Runtime, two: Runtime) -> None:
    async def back() -> bool:
        await one.coordination.first_time("slack:event:probe")  # lets the probe start
        await two.coordination.first_time("slack:event:probe")
        return redis_state(one) is State.OK and redis_state(two) is State.OK

    await eventually(back, "redis used again")


async def test_with_redis_killed_every_operation_answers_from_a_fallback(
    processes: tuple[Runtime, Runtime], redis: RedisServer
) -> None:
    one, two = processes
    assert await answered(one.coordination.first_time("slack:trigger:before")) is True
    assert redis_state(one) is State.OK
    redis.stop()

    # De-duplication stays shared between the processes: the database answers.
    assert await answered(one.coordination.first_time("slack:trigger:T1")) is True
    assert await answered(two.coordination.first_time("slack:trigger:T1")) is False
    assert await answered(two.coordination.first_time("telegram:update:9:1")) is True
    report = one.health.reports()["redis"]
    assert report.state is State.DEGRADED
    assert report.detail == "ConnectionError; using the database"

    # Rate limits, values and wake-ups keep working in each process.
    assert await answered(one.coordination.take_token("slack:C1", 1.0, 1)) == 0.0
    assert await answered(one.coordination.take_token("slack:C1", 1.0, 1)) > 0.0
    await answered(one.coordination.put("telegram:await:7", "won:12", 60))
    assert await answered(one.coordination.get("telegram:await:7")) == "won:12"
    await answered(one.coordination.delete("telegram:await:7"))
    assert await answered(one.coordination.get("telegram:await:7")) is None
    waiter = asyncio.create_task(one.coordination.wait("outbox", 30))
    await asyncio.sleep(0)
    await answered(one.coordination.wake("outbox"))
    await answered(waiter)


async def test_a_frozen_redis_is_given_up_quickly_and_used_again_when_it_answers(
    processes: tuple[Runtime, Runtime], redis: RedisServer
) -> None:
    one, two = processes
    shared = [[Bucket("telegram:global", 0.001, 1)]]
    assert (await answered(one.coordination.take_tokens(shared)))[0].wait == 0.0
    assert (await answered(two.coordination.take_tokens(shared)))[0].wait > 0  # one bucket
    redis.freeze()  # connections stay open, no answer comes

    # While Redis is away each process paces alone: both get the bucket's one token.
    assert await answered(one.coordination.first_time("slack:event:E1")) is True
    again = [[Bucket("telegram:other", 0.001, 1)]]
    assert (await answered(one.coordination.take_tokens(again)))[0].wait == 0.0
    assert (await answered(two.coordination.take_tokens(again)))[0].wait == 0.0
    assert redis_state(one) is State.DEGRADED and redis_state(two) is State.DEGRADED
    assert "TimeoutError" in one.health.reports()["redis"].detail

    redis.thaw()
    await both_use_redis_again(one, two)
    # Shared again: a new bucket's one token goes to one process only.
    third = [[Bucket("telegram:third", 0.001, 1)]]
    assert (await answered(one.coordination.take_tokens(third)))[0].wait == 0.0
    assert (await answered(two.coordination.take_tokens(third)))[0].wait > 0


async def test_a_value_deleted_while_redis_was_away_does_not_come_back_with_it(
    processes: tuple[Runtime, Runtime], redis: RedisServer
) -> None:
    """A Telegram question cancelled during an outage stays cancelled when Redis returns
    (its key was still in Redis for the rest of its time to live)."""
    one, two = processes
    await answered(one.coordination.put("telegram:await:7", "lost:12", 900))
    await answered(one.coordination.put("telegram:await:8", "won:13", 900))
    assert await answered(two.coordination.get("telegram:await:7")) == "lost:12"
    redis.freeze()
    await answered(one.coordination.delete("telegram:await:7"))
    await answered(one.coordination.delete("telegram:await:8"))
    assert await answered(one.coordination.get("telegram:await:7")) is None
    await answered(one.coordination.put("telegram:await:8", "won:14", 900))  # asked anew
    assert redis_state(one) is State.DEGRADED

    redis.thaw()
    await both_use_redis_again(one, two)

    async def deleted_everywhere() -> bool:
        return await two.coordination.get("telegram:await:7") is None

    await eventually(deleted_everywhere, "the delete done in Redis")
    assert await answered(one.coordination.get("telegram:await:7")) is None
    # The value put again during the outage is this process's; Redis's old one is gone.
    assert await answered(one.coordination.get("telegram:await:8")) == "won:14"
    assert await answered(two.coordination.get("telegram:await:8")) is None
    await answered(one.coordination.put("telegram:await:8", "won:15", 900))
    assert await answered(two.coordination.get("telegram:await:8")) == "won:15"


async def test_leases_have_one_holder_in_the_database_whatever_redis_does(
    processes: tuple[Runtime, Runtime], redis: RedisServer, clock: ManualClock
) -> None:
    one, two = processes
    assert await one.coordination.hold_lease("scheduler", "one", 15) is True
    assert await two.coordination.hold_lease("scheduler", "two", 15) is False
    redis.stop()  # the lease does not move: it was never in Redis
    assert await two.coordination.hold_lease("scheduler", "two", 15) is False
    assert await one.coordination.hold_lease("scheduler", "one", 15) is True  # renewal
    redis.start()
    assert await two.coordination.hold_lease("scheduler", "two", 15) is False
    clock.advance(seconds=16)  # not renewed: it expires and the other one takes it
    assert await two.coordination.hold_lease("scheduler", "two", 15) is True
    assert await one.coordination.hold_lease("scheduler", "one", 15) is False
    await two.coordination.release_lease("scheduler", "two")  # a clean stop gives it up
    assert await one.coordination.hold_lease("scheduler", "one", 15) is True


async def test_a_delivery_seen_in_the_database_is_new_again_after_its_ttl(
    processes: tuple[Runtime, Runtime], redis: RedisServer, clock: ManualClock
) -> None:
    one, two = processes
    redis.stop()
    long_key = "slack:body:" + "x" * 300  # longer than the column: stored hashed
    for key in ("telegram:update:1:5", long_key):
        assert await one.coordination.first_time(key, 60) is True
        assert await two.coordination.first_time(key, 60) is False
    clock.advance(seconds=61)
    assert await two.coordination.first_time("telegram:update:1:5", 60) is True
    assert await one.coordination.first_time("telegram:update:1:5", 60) is False


async def test_more_concurrent_operations_than_pooled_connections_wait_their_turn(
    processes: tuple[Runtime, Runtime],
) -> None:
    """The pool has 4 connections here; 300 presses at once all go through Redis."""
    one, _ = processes
    keys = [f"slack:trigger:burst-{n}" for n in range(300)]
    firsts = await answered(asyncio.gather(*(one.coordination.first_time(k) for k in keys)))
    assert all(firsts)
    assert redis_state(one) is State.OK  # no error, no fallback


async def test_without_redis_the_leases_are_in_the_database_too(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    """Two processes on one database and no Redis still elect one scheduler."""
    one, two = (Runtime.create(make_settings(), clock=clock) for _ in range(2))
    try:
        assert await one.coordination.hold_lease("scheduler", "one", 15) is True
        assert await two.coordination.hold_lease("scheduler", "two", 15) is False
        await one.coordination.release_lease("scheduler", "one")
        assert await two.coordination.hold_lease("scheduler", "two", 15) is True
    finally:
        await one.close()
        await two.close()


async def test_a_broken_pooled_connection_is_retried_but_redis_away_is_noticed_as_fast(
    processes: tuple[Runtime, Runtime], redis: RedisServer
) -> None:
    """Connections pooled before a Redis restart are dead; each is retried once on a fresh
    connection instead of tripping the breaker. That retry is for broken connections only:
    a killed Redis is still noticed at once and a frozen one after one read timeout
    (``READ_TIMEOUT_SECONDS``, 1.5 s), not two."""
    one, _ = processes
    loop = asyncio.get_running_loop()

    async def timed(call: Awaitable[T]) -> float:
        started = loop.time()
        await answered(call)
        return loop.time() - started

    # Four pooled connections (the pool's size here), then Redis restarts under them.
    await answered(asyncio.gather(*(one.coordination.put(f"k{n}", "v", 60) for n in range(4))))
    redis.stop()
    redis.start()
    await answered(asyncio.gather(*(one.coordination.put(f"k{n}", "w", 60) for n in range(4))))
    assert redis_state(one) is State.OK  # no false alarm from the dead connections
    assert await answered(one.coordination.get("k3")) == "w"

    redis.stop()
    assert await timed(one.coordination.put("gone", "v", 60)) < 0.5  # refused at once
    assert redis_state(one) is State.DEGRADED
    redis.start()
    await both_use_redis_again(one, one)

    redis.freeze()
    took = await timed(one.coordination.put("frozen", "v", 60))
    assert 1.4 < took < 2.5, took  # one read timeout, not one per attempt
    assert "TimeoutError" in one.health.reports()["redis"].detail


async def test_the_log_tells_a_subscription_never_made_from_one_lost(
    make_settings: SettingsFactory, redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """``serve`` started while Redis was down logged the wake-up subscription as "lost",
    though it never had one; an operator looked for what had broken it."""
    caplog.set_level(logging.WARNING, logger="bot.coordination")
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    runtime = Runtime.create(make_settings(redis={"url": nowhere}))
    try:
        await answered(runtime.coordination.wait("probe", 0.5))
        await eventually(
            _logged(caplog, "redis wake-up subscription for 'probe' could not be made"),
            "the failed start logged",
        )
        assert not any("subscription for 'probe' lost" in r.getMessage() for r in caplog.records)
    finally:
        await runtime.close()

    caplog.clear()
    runtime = Runtime.create(make_settings(redis={"url": redis.url}))
    try:
        await answered(runtime.coordination.wait("probe", 0.5))  # subscribed meanwhile
        redis.stop()
        await eventually(
            _logged(caplog, "redis wake-up subscription for 'probe' lost"), "the loss logged"
        )
    finally:
        await runtime.close()


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> Callable[[], Awaitable[bool]]:
    async def seen() -> bool:
        return any(text in record.getMessage() for record in caplog.records)

    return seen
