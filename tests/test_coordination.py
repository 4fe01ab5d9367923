"""Coordination behaves the same in-process and on the real Redis server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.coordination import Coordination, LocalCoordination, RedisCoordination
from tests.support.databases import REDIS_URL


@pytest.fixture(params=["local", "redis"])
async def coordination(request: pytest.FixtureRequest) -> AsyncIterator[Coordination]:
    if request.param == "local":
        impl: Coordination = LocalCoordination()
    else:
        impl = RedisCoordination(REDIS_URL, prefix=f"leadbot-test:{uuid.uuid4().hex}:")
    yield impl
    await impl.close()


async def test_first_time_deduplicates(coordination: Coordination) -> None:
    assert await coordination.first_time("slack:event:Ev1") is True
    assert await coordination.first_time("slack:event:Ev1") is False
    assert await coordination.first_time("slack:event:Ev2") is True


async def test_token_bucket_allows_a_burst_then_asks_to_wait(coordination: Coordination) -> None:
    waits = [await coordination.take_token("slack:C1", 1.0, 3) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0.5 < waits[3] <= 1.0
    assert await coordination.take_token("slack:C2", 1.0, 3) == 0.0  # buckets are separate


async def test_lease_has_one_holder(coordination: Coordination) -> None:
    assert await coordination.hold_lease("scheduler", "a", 30) is True
    assert await coordination.hold_lease("scheduler", "b", 30) is False
    assert await coordination.hold_lease("scheduler", "a", 30) is True  # renewal


async def test_values_expire(coordination: Coordination) -> None:
    await coordination.put("telegram:await:7", "won:12", 60)
    assert await coordination.get("telegram:await:7") == "won:12"
    await coordination.delete("telegram:await:7")
    assert await coordination.get("telegram:await:7") is None
    await coordination.put("short", "x", 1)
    await asyncio.sleep(1.1)
    assert await coordination.get("short") is None


async def test_wake_ends_a_wait_early(coordination: Coordination) -> None:
    waiter = asyncio.create_task(coordination.wait("outbox", 30))
    await asyncio.sleep(0.2)
    await coordination.wake("outbox")
    await asyncio.wait_for(waiter, 5)


async def test_a_wake_in_one_process_ends_a_wait_in_another() -> None:
    prefix = f"leadbot-test:{uuid.uuid4().hex}:"
    sender, waker = RedisCoordination(REDIS_URL, prefix), RedisCoordination(REDIS_URL, prefix)
    try:
        await sender.wait("outbox", 0.2)  # subscribes
        waiter = asyncio.create_task(sender.wait("outbox", 30))
        await asyncio.sleep(0.3)
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
