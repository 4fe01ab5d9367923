"""Engines and sessions. Users write plain SQLAlchemy URLs; we pick the drivers.

The bot runs on asyncio, so the application uses an async driver (aiosqlite, asyncpg);
Alembic and a few CLI tasks use a sync driver (sqlite3, psycopg). A URL that already names
a driver is respected where that driver fits.

SQLite needs care to be a safe default under concurrency: WAL lets readers run beside the
writer, ``busy_timeout`` makes writers wait instead of failing, and every transaction starts
with ``BEGIN IMMEDIATE`` so a read-then-write transaction (the claim) never has to upgrade a
read lock — the upgrade is what makes SQLite fail with "database is locked" under load.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import NullPool

from bot import writegate
from bot.config import ConfigError, DatabaseSettings
from bot.writegate import WriterGate

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_POOL_SIZE = 16
SQLITE_POOL_OVERFLOW = 48

_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_ASYNC_CAPABLE = {("sqlite", "aiosqlite"), ("postgresql", "asyncpg"), ("postgresql", "psycopg")}
_SYNC_CAPABLE = {("sqlite", "pysqlite"), ("postgresql", "psycopg"), ("postgresql", "psycopg2")}


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database.url: not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(
            f"database.url: unsupported database {backend!r}; use sqlite:/// or postgresql://"
        )
    return parsed


def async_url(url: str) -> URL:
    parsed = _parse(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if (backend, driver) in _ASYNC_CAPABLE and "+" in parsed.drivername:
        return parsed
    return parsed.set(drivername=f"{backend}+{_ASYNC_DRIVERS[backend]}")


def sync_url(url: str) -> URL:
    parsed = _parse(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if (backend, driver) in _SYNC_CAPABLE and "+" in parsed.drivername:
        return parsed
    return parsed.set(drivername=f"{backend}+{_SYNC_DRIVERS[backend]}")


READ_ONLY = "leadbot_read_only"
"""Execution option for a session that only reads (``session.connection(execution_options=
{READ_ONLY: True})`` before its first query): on SQLite it begins without the write lock."""


URGENT = "leadbot_urgent"
"""Execution option for a short write that finishes something already promised (the
outbox's bookkeeping): on SQLite it queues ahead of the other writers of this process
(:mod:`bot.writegate`). Set like :data:`READ_ONLY`, before the session's first query."""


def is_sqlite(url: str) -> bool:
    return _parse(url).get_backend_name() == "sqlite"


def _sqlite_setup(sync_engine: Engine, gate: WriterGate | None = None) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers that asked for it (the reports) take no write lock: in WAL mode they run
        # beside the writers and beside each other.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            if gate is not None:  # this process's writers queue here, not in SQLite
                urgent = bool(connection.get_execution_options().get(URGENT))
                gate.enter(connection.connection.info, urgent=urgent)
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_async(settings: DatabaseSettings, *, pooled: bool = True) -> AsyncEngine:
    """The application's engine. ``pooled=False`` gives every session its own connection."""
    url = async_url(settings.url)
    # hide_parameters: error messages and logs must never quote a lead's personal data.
    kwargs: dict[str, Any] = {"echo": settings.echo, "hide_parameters": not settings.echo}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if not pooled:
            kwargs["poolclass"] = NullPool
        else:
            # Writers queue at the writer gate (by priority), not for a connection: a queue
            # for connections would put the outbox's bookkeeping and the readers behind
            # every waiting writer. A SQLite connection is a file handle and a thread.
            kwargs["pool_size"] = SQLITE_POOL_SIZE
            kwargs["max_overflow"] = SQLITE_POOL_OVERFLOW
    elif pooled:
        kwargs["pool_size"] = settings.pool_size
        kwargs["max_overflow"] = settings.pool_size
        kwargs["pool_pre_ping"] = True
    else:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        gate = WriterGate(SQLITE_BUSY_TIMEOUT_MS / 1000)
        writegate.install(engine.sync_engine, gate)
        _sqlite_setup(engine.sync_engine, gate)
    return engine


def create_engine_sync(url: str) -> Engine:
    """A synchronous engine for migrations and maintenance tasks."""
    sync = sync_url(url)
    engine = create_engine(sync, poolclass=NullPool, hide_parameters=True)
    if sync.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
