"""SQLite statements in one thread hop each, not four — or none inside a write transaction.

aiosqlite runs every call on the connection's own thread and hands the result back
through the event loop: that hand-over (a queue, a wake-up of the loop, the GIL passed
twice) costs about 60 µs of CPU. SQLAlchemy's adapter makes four of them per statement —
open a cursor, execute, fetch the rows, close the cursor — so a statement that SQLite runs
in 10 µs cost about 0.25 ms, and the 20-odd statements of one lead's intake several
milliseconds (docs/performance.md).

:class:`OneHopConnection` is aiosqlite's connection with a different ``cursor()``: the
cursor it returns opens a SQLite cursor, executes, fetches every row and closes it in a
single call on the connection's thread, then answers ``description``, ``rowcount``,
``lastrowid`` and the fetches from what that call kept. SQLAlchemy's own adapter fetched
every row right after ``execute`` too (no server-side cursors on SQLite), so the rows and
the errors (raised by the same ``sqlite3`` calls) are what they were.

Inside a write transaction there is no hop at all (in WAL mode, the bot's setting): once
``BEGIN IMMEDIATE`` has returned (on aiosqlite's thread, where SQLite's busy handler may
wait for another process's lock), the connection holds the database's write lock, and in
WAL mode none of its statements waits for another connection any more. They run on the
event loop's thread, which took about a quarter off the CPU of a lead's intake
(docs/performance.md). So do the statements of a transaction of short reads
(``BEGIN DEFERRED``, ``bot.db.SHORT_READS``: the sender's look-up of what it is about to
send): in WAL mode a reader does not wait for the writers, and under load each hop waited
for a turn of the busy event loop — the teasers of a burst went out only after it. Other
read-only transactions (reports) and the commit stay on aiosqlite's thread, so a long
report never holds up the event loop, nor does a bulk statement of more than
:data:`INLINE_MAX_ROWS` rows.

:func:`install` points an async engine's new connections at it through SQLAlchemy's
``do_connect`` event, with the arguments the dialect worked out from the URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Engine

ITER_CHUNK_SIZE = 64  # aiosqlite's default (used only by its own iteration helpers)
BEGIN_WRITE = "BEGIN IMMEDIATE"
"""How :mod:`bot.db` begins every transaction that may write."""
BEGIN_SHORT_READS = "BEGIN DEFERRED"
"""How :mod:`bot.db` begins a read-only transaction of short reads (``SHORT_READS``): the
same as SQLite's plain ``BEGIN``, told apart here to run its statements inline."""
INLINE_MAX_ROWS = 500
"""A bulk statement with more rows than this runs on aiosqlite's thread even inside a write
transaction, so that the event loop is never held up by one for long."""


class OneHopCursor:
    """A DB-API cursor for SQLAlchemy's asyncio adapter: one thread hop per statement."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _run(self, sql: str, parameters: Any, many: bool) -> OneHopCursor:
        """On the connection's thread: the whole statement, rows included."""
        cursor = self._connection._conn.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            elif parameters is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, parameters)
            self.description = cursor.description
            self._rows = cursor.fetchall() if cursor.description else []
            self.rowcount = cursor.rowcount
            self.lastrowid = cursor.lastrowid
        finally:
            cursor.close()
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        connection = self._connection
        if connection.runs_inline():
            return self._run(sql, parameters, False)
        begins = sql in (BEGIN_WRITE, BEGIN_SHORT_READS)
        if begins and connection.wal is None:
            connection.wal = await connection._execute(_in_wal_mode, connection)
        await connection._execute(self._run, sql, parameters, False)
        if sql == BEGIN_WRITE:
            connection.writing = bool(connection.wal)
        elif sql == BEGIN_SHORT_READS:
            connection.reading = bool(connection.wal)
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> OneHopCursor:
        if len(parameters) <= INLINE_MAX_ROWS and self._connection.runs_inline():
            return self._run(sql, parameters, True)
        return await self._connection._execute(self._run, sql, parameters, True)  # type: ignore[no-any-return]

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def setoutputsize(self, *_args: Any) -> None:
        return None


class OneHopConnection(aiosqlite.Connection):
    """aiosqlite's connection (its thread, commit, rollback, close) with one-hop cursors."""

    writing = False
    """Whether this connection began a write transaction (``BEGIN IMMEDIATE``) that has not
    ended through :meth:`commit` or :meth:`rollback` yet, in WAL mode."""
    wal: bool | None = None
    """Whether the database is in WAL mode (asked at the first write transaction). Without
    it (a file system that cannot share memory: SQLite falls back to a rollback journal) a
    writer may have to wait for readers before its transaction ends, so nothing runs on
    the event loop's thread."""

    reading = False
    """Whether this connection began a transaction of short reads (``BEGIN DEFERRED``) that
    has not ended yet, in WAL mode, where a reader does not wait for the writers."""

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    def runs_inline(self) -> bool:
        """Whether statements run on the caller's thread. Inside a write transaction SQLite
        holds this connection's write lock, and in WAL mode neither its reads nor its
        writes wait for any other connection; in WAL mode a reader does not wait for the
        writers either (short reads only: a long report would hold up the loop)."""
        connection = self._connection
        return (
            (self.writing or self.reading) and connection is not None and connection.in_transaction
        )

    async def commit(self) -> None:
        self.writing = self.reading = False
        await super().commit()

    async def rollback(self) -> None:
        self.writing = self.reading = False
        await super().rollback()


def _in_wal_mode(connection: OneHopConnection) -> bool:
    """On the connection's thread: whether its database is in WAL mode."""
    row = connection._conn.execute("PRAGMA journal_mode").fetchone()
    return row is not None and str(row[0]).lower() == "wal"


def connect(database: Any, **kwargs: Any) -> OneHopConnection:
    """What ``aiosqlite.connect`` does, with the one-hop connection (daemon thread, as
    SQLAlchemy sets it, so an unclosed connection never keeps the process alive)."""
    # The event loop's thread runs the statements of write transactions (OneHopCursor);
    # aiosqlite's thread runs everything else, never at the same time for one connection.
    kwargs["check_same_thread"] = False
    connection = OneHopConnection(partial(sqlite3.connect, database, **kwargs), ITER_CHUNK_SIZE)
    thread = getattr(connection, "_thread", None)  # aiosqlite >= 0.22: a thread of its own
    if thread is not None:
        thread.daemon = True
    else:  # older aiosqlite: the connection is the thread
        connection.daemon = True  # type: ignore[attr-defined]
    return connection


def install(sync_engine: Engine) -> None:
    """New connections of this (aiosqlite) engine are one-hop connections."""

    @event.listens_for(sync_engine, "do_connect")
    def _one_hop(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        # SQLAlchemy's aiosqlite adapter calls this instead of aiosqlite.connect, with the
        # same arguments (the file name from the URL, the connect_args).
        params["async_creator_fn"] = connect
