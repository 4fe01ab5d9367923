"""SQLite statements in one thread hop (bot/sqlite_hops.py): the same answers as aiosqlite's
cursors, and the one-hop connection keeps aiosqlite's stop-once fix (bot/aiosqlite_fix.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot import sqlite_hops
from bot.config import DatabaseSettings
from bot.db import create_engine_async

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
    connection.stop()
    await asyncio.wait_for(closing, 10)  # a hang guard: it ends at once
