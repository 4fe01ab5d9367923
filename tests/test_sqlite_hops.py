"""SQLite statements in one thread hop (bot/sqlite_hops.py): the same answers as aiosqlite's
cursors, and the one-hop connection keeps aiosqlite's stop-once fix (bot/aiosqlite_fix.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import sqlite_hops
from bot.config import DatabaseSettings
from bot.db import READ_ONLY, SHORT_READS, create_engine_async

METADATA = MetaData()
ITEMS = Table(
    "items",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True, nullable=False),
)


async def test_the_bot_engine_answers_like_sqlite(tmp_path: Path) -> None:
    engine = create_engine_async(DatabaseSettings(url=f"sqlite:///{tmp_path / 'hops.db'}"))
    try:
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_hops.OneHopConnection)
            await conn.run_sync(METADATA.create_all)
            returned = await conn.execute(
                insert(ITEMS).values([{"name": "a"}, {"name": "b"}]).returning(ITEMS.c.id)
            )
            assert sorted(returned.scalars().all()) == [1, 2]
            many = await conn.execute(insert(ITEMS), [{"name": "c"}, {"name": "d"}])
            assert many.rowcount == 2
            single = await conn.execute(insert(ITEMS).values(name="e"))
            assert single.inserted_primary_key == (5,)
            changed = await conn.execute(
                update(ITEMS).where(ITEMS.c.id > 3).values(name=ITEMS.c.name + "!")
            )
            assert changed.rowcount == 2
            rows = (await conn.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars().all()
            assert rows == ["a", "b", "c", "d!", "e!"]
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            with pytest.raises(IntegrityError):
                await conn.execute(insert(ITEMS).values(name="a"))
            with pytest.raises(OperationalError):
                await conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()


async def test_a_close_after_a_forced_stop_ends(tmp_path: Path) -> None:
    """SQLAlchemy closes a connection it throws away in a shielded task and stops it at
    once when that is cancelled (bot/aiosqlite_fix.py); the subclass inherits the fix."""
    connection = await sqlite_hops.connect(str(tmp_path / "stop.db"))
    closing = asyncio.create_task(connection.close())
    await asyncio.sleep(0)  # the close has queued its call
    stopped = connection.stop()
    await asyncio.wait_for(closing, 10)  # a hang guard: it ends at once
    # The worker thread answers the stop last: wait for it, or it would answer a loop
    # that this test has closed (an "Event loop is closed" in the thread).
    assert stopped is not None
    await asyncio.wait_for(stopped, 10)


def _thread_function(engine: AsyncEngine) -> None:
    """``thread_id()`` in SQL: the id of the thread that runs the statement."""

    @event.listens_for(engine.sync_engine, "connect")
    def _add(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection._conn.create_function(
            "thread_id", 0, threading.get_ident
        )


async def test_a_write_transaction_runs_on_the_event_loops_thread(tmp_path: Path) -> None:
    """Once ``BEGIN IMMEDIATE`` holds the write lock, statements need no hop, nor do those
    of a transaction of short reads; other read-only transactions, bulk statements and
    statements after the transaction ended hop again."""
    engine = create_engine_async(DatabaseSettings(url=f"sqlite:///{tmp_path / 'inline.db'}"))
    _thread_function(engine)
    loop_thread = threading.get_ident()
    thread_of = text("SELECT thread_id()")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            assert (await conn.execute(thread_of)).scalar() == loop_thread
            bulk = [{"name": f"n{i}"} for i in range(sqlite_hops.INLINE_MAX_ROWS + 1)]
            await conn.execute(insert(ITEMS), bulk)  # on aiosqlite's thread: a long one
            assert (await conn.execute(thread_of)).scalar() == loop_thread
        async with engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            assert (await conn.execute(thread_of)).scalar() != loop_thread
        async with engine.connect() as conn:  # short reads (the sender's): no hop either
            await conn.execution_options(**{READ_ONLY: True, SHORT_READS: True})
            assert (await conn.execute(thread_of)).scalar() == loop_thread
            assert (await conn.execute(select(func.count()).select_from(ITEMS))).scalar() == (
                sqlite_hops.INLINE_MAX_ROWS + 1
            )
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                assert (await conn.execute(thread_of)).scalar() == loop_thread
                await conn.execute(insert(ITEMS).values(name="n0"))
        async with engine.connect() as conn:  # the rolled-back connection, read-only now
            await conn.execution_options(**{READ_ONLY: True})
            assert (await conn.execute(thread_of)).scalar() != loop_thread
            assert (await conn.execute(select(func.count()).select_from(ITEMS))).scalar() == (
                sqlite_hops.INLINE_MAX_ROWS + 1
            )
    finally:
        await engine.dispose()


async def test_waiting_for_another_writer_leaves_the_event_loop_free(tmp_path: Path) -> None:
    """``BEGIN IMMEDIATE`` waits for another process's write lock on aiosqlite's thread:
    the event loop keeps running meanwhile, and the transaction goes on once the lock is
    free."""
    path = tmp_path / "locked.db"
    engine = create_engine_async(DatabaseSettings(url=f"sqlite:///{path}"))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())

        async def write() -> None:
            async with engine.begin() as conn:
                await conn.execute(insert(ITEMS).values(name="after the lock"))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.5)
        assert not writing.done()
        assert ticks >= 20  # the loop ran while the writer waited
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 10)
        ticker.cancel()
        async with engine.connect() as conn:
            names = (await conn.execute(select(ITEMS.c.name))).scalars().all()
        assert names == ["after the lock"]
    finally:
        other.close()
        await engine.dispose()


async def test_without_wal_a_write_transaction_stays_on_aiosqlites_thread(
    tmp_path: Path,
) -> None:
    """A rollback journal (where SQLite cannot use WAL): a writer may wait for readers at
    any statement and a reader for a writer, so none runs on the event loop's thread."""
    engine = create_engine_async(DatabaseSettings(url=f"sqlite:///{tmp_path / 'journal.db'}"))
    _thread_function(engine)

    @event.listens_for(engine.sync_engine, "connect")
    def _rollback_journal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection._conn.execute("PRAGMA journal_mode = DELETE")

    try:
        async with engine.begin() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "delete"
            await conn.run_sync(METADATA.create_all)
            await conn.execute(insert(ITEMS).values(name="kept"))
            assert (await conn.execute(text("SELECT thread_id()"))).scalar() != (
                threading.get_ident()
            )
        async with engine.connect() as conn:
            assert (await conn.execute(select(ITEMS.c.name))).scalars().all() == ["kept"]
        async with engine.connect() as conn:  # a reader may wait for a writer here too
            await conn.execution_options(**{READ_ONLY: True, SHORT_READS: True})
            assert (await conn.execute(text("SELECT thread_id()"))).scalar() != (
                threading.get_ident()
            )
    finally:
        await engine.dispose()
