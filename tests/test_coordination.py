"""Coordination behaves the same in-process and on the real Redis server.

Time is the runtime's clock: buckets and leases are moved forward with a ``ManualClock``,
never by sleeping. (Redis expires keys by its own clock; for those the TTL is checked.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.coordination import Bucket, Coordination, LocalCoordination, RedisCoordination
from tests.support.databases import REDIS_URL


@pytest.fixture(params=["local", "redis"])
async def coordination(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[Coordination]:
    if request.param == "local":
        impl: Coordination = LocalCoordination(clock)
    else:
        impl = RedisCoordination(REDIS_URL, f"leadbot-test:{uuid.uuid4().hex}:", clock)
    yield impl
    await impl.close()


async def test_first_time_deduplicates(coordination: Coordination) -> None:
    assert await coordination.first_time("slack:event:Ev1") is True
    assert await coordination.first_time("slack:event:Ev1") is False
    assert await coordination.first_time("slack:event:Ev2") is True


async def test_token_bucket_allows_a_burst_then_asks_to_wait(
    coordination: Coordination, clock: ManualClock
) -> None:
    waits = [await coordination.take_token("slack:C1", 1.0, 3) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0.5 < waits[3] <= 1.0
    assert await coordination.take_token("slack:C2", 1.0, 3) == 0.0  # buckets are separate
    clock.advance(seconds=waits[3])  # the bucket refills as the clock moves
    assert await coordination.take_token("slack:C1", 1.0, 3) == 0.0
    assert await coordination.take_token("slack:C1", 1.0, 3) > 0


async def test_tokens_for_a_batch_are_all_or_nothing_per_request(
    coordination: Coordination, clock: ManualClock
) -> None:
    shared = Bucket("telegram:global", 1.0, 2)
    grants = await coordination.take_tokens(
        [
            [shared, Bucket("chat:A", 1.0, 1)],
            [shared, Bucket("chat:A", 1.0, 1)],  # chat A is empty now: takes nothing
            [shared, Bucket("chat:B", 1.0, 1)],
            [shared, Bucket("chat:C", 1.0, 1)],  # the shared bucket is empty
        ]
    )
    assert [g.short for g in grants] == [None, "chat:A", None, "telegram:global"]
    assert grants[0].wait == grants[2].wait == 0.0
    assert 0.9 < grants[1].wait <= 1.0 and 0.9 < grants[3].wait <= 1.0
    # The refused requests took no token: chat C still has its one.
    clock.advance(seconds=1)
    [grant] = await coordination.take_tokens([[shared, Bucket("chat:C", 1.0, 1)]])
    assert grant == (0.0, None)


async def test_lease_has_one_holder(coordination: Coordination) -> None:
    assert await coordination.hold_lease("scheduler", "a", 30) is True
    assert await coordination.hold_lease("scheduler", "b", 30) is False
    assert await coordination.hold_lease("scheduler", "a", 30) is True  # renewal


async def test_values_expire(coordination: Coordination, clock: ManualClock) -> None:
    await coordination.put("telegram:await:7", "won:12", 60)
    assert await coordination.get("telegram:await:7") == "won:12"
    await coordination.delete("telegram:await:7")
    assert await coordination.get("telegram:await:7") is None
    await coordination.put("short", "x", 1)
    assert await coordination.get("short") == "x"
    if isinstance(coordination, RedisCoordination):  # Redis expires it by its own clock
        ttl = await coordination._redis.pttl(coordination._key("kv", "short"))
        assert 0 < ttl <= 1000
    else:
        clock.advance(seconds=1)
        assert await coordination.get("short") is None


async def test_leases_end_when_not_renewed(clock: ManualClock) -> None:
    local = LocalCoordination(clock)
    assert await local.hold_lease("scheduler", "a", 30) is True
    clock.advance(seconds=29)
    assert await local.hold_lease("scheduler", "b", 30) is False
    clock.advance(seconds=2)
    assert await local.hold_lease("scheduler", "b", 30) is True


async def test_wake_ends_a_wait_early(coordination: Coordination) -> None:
    waiter = asyncio.create_task(coordination.wait("outbox", 30))
    await asyncio.sleep(0)  # let the waiter start waiting
    await coordination.wake("outbox")
    await asyncio.wait_for(waiter, 5)


async def test_a_wake_in_one_process_ends_a_wait_in_another() -> None:
    prefix = f"leadbot-test:{uuid.uuid4().hex}:"
    sender, waker = RedisCoordination(REDIS_URL, prefix), RedisCoordination(REDIS_URL, prefix)
    try:
        waiter = asyncio.create_task(sender.wait("outbox", 30))
        channel = f"{prefix}wake:outbox"
        async with asyncio.timeout(10):  # until the listener has subscribed
            while not (await waker._redis.pubsub_numsub(channel))[0][1]:
                await asyncio.sleep(0.01)
        await waker.wake("outbox")
        await asyncio.wait_for(waiter, 10)
    finally:
        await sender.close()
        await waker.close()


async def test_redis_processes_share_dedup_and_leases() -> None:
    prefix = f"leadbot-test:{uuid.uuid4().hex}:"
    one, two = RedisCoordination(REDIS_URL, prefix), RedisCoordination(REDIS_URL, prefix)
    try:
        assert await one.first_time("telegram:update:10") is True
        assert await two.first_time("telegram:update:10") is False
        assert await one.hold_lease("scheduler", "one", 30) is True
        assert await two.hold_lease("scheduler", "two", 30) is False
    finally:
        await one.close()
        await two.close()
