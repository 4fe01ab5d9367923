"""The SQLite write gate (bot/writegate.py): this process's busiest writers one at a time,
the sender's claims and outcomes before intake's batches (but never starving them), nobody
stuck after a cancel or a failure."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.runtime import Runtime
from bot.writegate import SENDER_STREAK, Turn, WriteGate


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


class Writers:
    """Writers at one gate, and the order in which they got their turn."""

    def __init__(self) -> None:
        self.gate = WriteGate()
        self.served: list[str] = []

    def start(self, name: str, who: Turn) -> asyncio.Task[None]:
        return asyncio.create_task(self._write(name, who))

    async def _write(self, name: str, who: Turn) -> None:
        async with self.gate.turn(who):
            self.served.append(name)
            await asyncio.sleep(0)


async def test_waiters_are_served_by_turn_then_in_order_of_arrival() -> None:
    writers = Writers()
    async with writers.gate.turn(Turn.INTAKE):
        tasks = [
            writers.start("batch 1", Turn.INTAKE),
            writers.start("batch 2", Turn.INTAKE),
            writers.start("claim", Turn.SENDER),
            writers.start("outcome", Turn.SENDER),
        ]
        await _settle()
        assert writers.served == []  # all wait while the gate is held
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert writers.served == ["claim", "outcome", "batch 1", "batch 2"]
    assert not writers.gate.held


async def test_a_backlog_of_sender_turns_lets_a_waiting_batch_of_leads_through() -> None:
    writers = Writers()
    senders = SENDER_STREAK + 2
    async with writers.gate.turn(Turn.INTAKE):
        tasks = [writers.start("batch", Turn.INTAKE)]
        tasks += [writers.start(f"s{n}", Turn.SENDER) for n in range(senders)]
        await _settle()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    streak = [f"s{n}" for n in range(SENDER_STREAK)]
    rest = [f"s{n}" for n in range(SENDER_STREAK, senders)]
    assert writers.served == [*streak, "batch", *rest]


async def test_a_writer_cancelled_while_waiting_is_skipped() -> None:
    writers = Writers()
    async with writers.gate.turn(Turn.INTAKE):
        leaving = writers.start("leaving", Turn.SENDER)
        staying = writers.start("staying", Turn.SENDER)
        await _settle()
        leaving.cancel()
        await _settle()
    await asyncio.wait_for(staying, 5)
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert writers.served == ["staying"]
    assert not writers.gate.held


async def test_a_writer_cancelled_as_its_turn_comes_passes_the_turn_on() -> None:
    writers = Writers()
    first = writers.start("first", Turn.INTAKE)
    second = writers.start("second", Turn.INTAKE)
    async with writers.gate.turn(Turn.INTAKE):
        await _settle()
    # The turn was handed to "first" as the holder left; "first" is cancelled before it
    # could run: the turn must go on to "second", not stay with a task that is gone.
    first.cancel()
    await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 5)
    assert writers.served == ["second"]
    assert not writers.gate.held


async def test_a_unit_of_work_with_a_turn_holds_the_gate_until_its_commit_or_end(
    runtime: Runtime,
) -> None:
    gate = runtime.write_gate
    if runtime.engine.dialect.name != "sqlite":
        assert gate is None  # PostgreSQL locks rows: no gate
        return
    assert gate is not None
    order: list[str] = []

    async def second_writer() -> None:
        async with runtime.uow(Turn.INTAKE) as uow:
            order.append("second began")
            await uow.session.execute(text("SELECT 1"))

    with pytest.raises(RuntimeError):
        async with runtime.uow(Turn.INTAKE) as uow:
            await uow.session.execute(text("SELECT 1"))
            waiting = asyncio.create_task(second_writer())
            await _settle()
            order.append("first ends")
            raise RuntimeError("the first writer fails")
    await asyncio.wait_for(waiting, 5)
    assert order == ["first ends", "second began"]

    async def without_a_turn() -> None:
        async with gate.turn(Turn.SENDER), runtime.uow() as uow:
            await uow.session.execute(text("SELECT 1"))

    await asyncio.wait_for(without_a_turn(), 5)  # never waits at the gate
    assert not gate.held

    # The turn is given back at the commit: what follows it (the wake-ups) waits for nobody.
    async with runtime.uow(Turn.INTAKE) as uow:
        await uow.session.execute(text("SELECT 1"))
        assert gate.held
        await uow.commit()
        assert not gate.held
    assert not gate.held
