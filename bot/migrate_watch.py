"""Notice a PostgreSQL database that falls silent in the middle of ``leadbot migrate``.

A migration's statements may run as long as they need (rewriting a large table), so its
connection has no command timeout, and psycopg waits for an answer without limit: a
database that stopped answering half-way (a frozen network path, a paused server) left
``leadbot migrate`` hanging for as long as that lasted. From the migration's own connection
a silent database and a long statement look the same — no bytes. So while a migration runs,
:class:`MigrationWatch` asks the database from the side, in a thread: every
:data:`PROBE_SECONDS` it reads the schema's revision on a connection of its own, within all
the ``[database]`` limits (:func:`bot.migrate.schema_revision`). A database that is busy
with a long statement answers that; one that is silent does not. After
:data:`SILENT_PROBES` such probes in a row found it not answering, the watch cuts the
migration's connections (their sockets are shut down), the migration fails at once, and
``leadbot migrate`` says so (:attr:`MigrationWatch.silent_seconds`).

Nothing half-done stays behind: the migrations run in one transaction (transactional DDL,
``bot/migrations/env.py``), which PostgreSQL rolls back when the connection ends — and,
should the cut never reach the server (the network path is frozen, not broken), when the
session has been idle in its transaction for a minute
(``idle_in_transaction_session_timeout``, :data:`bot.db.IDLE_IN_TRANSACTION_SECONDS`, set on
the migration's connections by :func:`bot.db.create_engine_sync`). A rerun then starts from the revision before.

SQLite is a local file: nothing to watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from types import TracebackType
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from bot.config import DatabaseSettings
from bot.db import create_engine_async

log = logging.getLogger(__name__)

PROBE_SECONDS = 1.0
"""Pause between two probes (each is bounded by the connect and command timeouts)."""
SILENT_PROBES = 2
"""Probes in a row without an answer that make the database silent (one could be a blip)."""


class MigrationWatch:
    """``with MigrationWatch(settings.database) as watch:`` around a migration; afterwards
    :attr:`silent_seconds` is set if it was cut because the database stopped answering."""

    def __init__(self, database: DatabaseSettings) -> None:
        self.database = database
        self.silent_seconds: float | None = None
        self._watched = database.url.startswith("postgres")
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="migrate-watch", daemon=True)

    def __enter__(self) -> MigrationWatch:
        if self._watched:
            event.listen(Engine, "connect", self._track)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if not self._watched:
            return
        self._stop.set()
        self._thread.join()  # a probe under way is bounded by the [database] limits
        event.remove(Engine, "connect", self._track)

    def _track(self, dbapi_connection: Any, _record: Any) -> None:
        """Every connection the migration opens (the probes' own are not its)."""
        if threading.current_thread() is self._thread or not hasattr(dbapi_connection, "fileno"):
            return
        with self._lock:
            self._connections.append(dbapi_connection)

    def _watch(self) -> None:
        silent_since: float | None = None
        misses = 0
        while not self._stop.wait(PROBE_SECONDS):
            started = time.monotonic()
            if self._answers():
                misses, silent_since = 0, None
                continue
            misses += 1
            silent_since = silent_since or started
            if misses >= SILENT_PROBES and not self._stop.is_set():
                self.silent_seconds = time.monotonic() - silent_since
                self._cut()
                return

    def _answers(self) -> bool:
        """Does the database answer ``SELECT 1`` within the limits? Only silence is a no:
        a refusal (too many connections, a restart) is an answer, and the migration's own
        connection meets it by itself. ``SELECT 1`` waits for no lock the migration holds."""
        try:
            asyncio.run(_ping(self.database))
        except Exception as exc:
            return not _timed_out(exc)
        return True

    def _cut(self) -> None:
        """End the migration's waits: shut its sockets down (the driver then fails at once;
        closing the connection politely would wait for the silent server again)."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(Exception):
                duplicate = socket.socket(fileno=os.dup(connection.fileno()))
                with duplicate:
                    duplicate.shutdown(socket.SHUT_RDWR)
        log.info("the database stopped answering during the migration; cut its connection")


async def _ping(database: DatabaseSettings) -> None:
    """One ``SELECT 1`` on a connection of its own, within every ``[database]`` limit."""
    engine = create_engine_async(database, pooled=False)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def _timed_out(error: BaseException) -> bool:
    """Did ``error`` (or what caused it) come from waiting out a limit?"""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError):
            return True
        current = current.__cause__ or current.__context__
    return False
