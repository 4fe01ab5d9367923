"""Engines and sessions. Users write plain SQLAlchemy URLs; we pick the drivers.

The bot runs on asyncio, so the application uses an async driver (aiosqlite, asyncpg);
Alembic (``leadbot migrate``) uses a sync driver (sqlite3, psycopg). A URL that already
names a driver is respected where that driver fits — except that the bot's own engine
always runs PostgreSQL on asyncpg: its limits depend on it (below).

SQLite needs care to be a safe default under concurrency: WAL lets readers run beside the
writer, ``busy_timeout`` makes writers wait instead of failing, and every transaction starts
with ``BEGIN IMMEDIATE`` so a read-then-write transaction (the claim) never has to upgrade a
read lock — the upgrade is what makes SQLite fail with "database is locked" under load.

Every wait on the database is bounded (``[database]`` timeouts, docs/configuration.md):
a stalled database must cost a request a few seconds and a clear ``503``, not hang it
for as long as the stall lasts. On PostgreSQL the server cancels long statements
(``statement_timeout``) and the client gives up a little later whatever the network does
(asyncpg's ``command_timeout``, which also bounds the pool's pre-ping); opening a
connection and waiting for a free one are bounded too. :mod:`bot.dbfaults` makes a
timed-out connection be thrown away at once, so the next request gets a fresh one.

That client-side limit is asyncpg's: psycopg has none, and cancelling one of its queries
on a frozen connection waits for the server too (its cancel request) — a request on
``postgresql+psycopg://`` hung for as long as the stall lasted. So every form of a
PostgreSQL URL (``postgresql://``, ``postgres://``, ``+asyncpg``, ``+psycopg``,
``+psycopg2``) gives the bot the same engine with the same limits; a sync driver named in
the URL is what ``leadbot migrate`` uses.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import InsertmanyvaluesSentinelOpts

from bot import aiosqlite_fix, dbfaults, outagelog, sqlite_hops
from bot.config import ConfigError, DatabaseSettings
from bot.plaintext import quoted
from bot.sqlite_hops import BEGIN_SHORT_READS

aiosqlite_fix.apply()  # a second stop() must not hang its closer (bot/aiosqlite_fix.py)

SQLITE_BUSY_TIMEOUT_MS = 5_000
"""The default of ``[database] sqlite_busy_timeout_seconds``: the bot's SQLite lock wait."""
SQLITE_MAINTENANCE_BUSY_TIMEOUT_MS = 30_000
"""Migrations and maintenance (sync engines) have nobody waiting for an answer: they may
wait longer for a running bot's writers than a request should."""

_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_ASYNC_CAPABLE = {("sqlite", "aiosqlite"), ("postgresql", "asyncpg")}
"""The async drivers a URL may name for the bot's engine. Not psycopg: it has no
client-side command limit (see above), so ``postgresql+psycopg://`` runs on asyncpg too."""
_SYNC_CAPABLE = {("sqlite", "pysqlite"), ("postgresql", "psycopg"), ("postgresql", "psycopg2")}


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not quoted: the URL may hold the password
        raise ConfigError("database.url: not a database URL") from None
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(
            f"database.url: unsupported database {quoted(backend)}; use sqlite:/// or postgresql://"
        )
    return parsed


def async_url(url: str) -> URL:
    parsed = _parse(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if not ((backend, driver) in _ASYNC_CAPABLE and "+" in parsed.drivername):
        parsed = parsed.set(drivername=f"{backend}+{_ASYNC_DRIVERS[backend]}")
    return _asyncpg_ssl(parsed)


def _asyncpg_ssl(url: URL) -> URL:
    """libpq's ``sslmode`` (what users write, and what psycopg reads for migrations) as
    asyncpg's ``ssl``: SQLAlchemy hands the query to ``asyncpg.connect`` as keywords, and
    asyncpg has no ``sslmode`` keyword but takes the same mode names for ``ssl``."""
    mode = url.query.get("sslmode")
    if url.get_driver_name() != "asyncpg" or mode is None:
        return url
    return url.difference_update_query(["sslmode"]).update_query_dict({"ssl": mode})


def sync_url(url: str) -> URL:
    parsed = _parse(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if (backend, driver) in _SYNC_CAPABLE and "+" in parsed.drivername:
        return parsed
    return parsed.set(drivername=f"{backend}+{_SYNC_DRIVERS[backend]}")


READ_ONLY = "leadbot_read_only"
"""Execution option for a session that only reads (``session.connection(execution_options=
{READ_ONLY: True})`` before its first query): on SQLite it begins without the write lock."""
SHORT_READS = "leadbot_short_reads"
"""With :data:`READ_ONLY`: a few short reads that a user is waiting for (the sender's look-up
of the messages it is about to send). On SQLite in WAL mode they run on the event loop's
thread instead of waiting for a turn of it after each statement (bot/sqlite_hops.py)."""


def is_sqlite(url: str) -> bool:
    return _parse(url).get_backend_name() == "sqlite"


def _sqlite_setup(sync_engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # SQLite numbers the rows of one multi-row INSERT in the order of its VALUES (each new
    # rowid is the table's largest plus one, or the next of AUTOINCREMENT's sequence; only
    # a table whose largest rowid reached 2**63 - 1 would get random ones), so the integer
    # primary key can match the RETURNING rows to the objects, as on MySQL. SQLAlchemy does
    # not assume it for SQLite (RETURNING's row order is unspecified) and then inserts
    # every new object with an INSERT of its own: a lead's events, a wave's offers. With
    # it, the objects of one table in one flush are one INSERT (tests/test_insert_ids.py).
    sync_engine.dialect.insertmanyvalues_implicit_sentinel = (
        InsertmanyvaluesSentinelOpts.AUTOINCREMENT
    )

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers that asked for it (the reports) take no write lock: in WAL mode they run
        # beside the writers and beside each other.
        options = connection.get_execution_options()
        if options.get(READ_ONLY):
            connection.exec_driver_sql(BEGIN_SHORT_READS if options.get(SHORT_READS) else "BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_timeouts(settings: DatabaseSettings) -> dict[str, Any]:
    """asyncpg's connect arguments that bound every wait on the server."""
    return {
        "timeout": settings.connect_timeout_seconds,
        "command_timeout": settings.command_timeout,
        "server_settings": {
            "statement_timeout": str(round(settings.statement_timeout_seconds * 1000)),
        },
    }


def create_engine_async(settings: DatabaseSettings, *, pooled: bool = True) -> AsyncEngine:
    """The application's engine. ``pooled=False`` gives every session its own connection."""
    url = async_url(settings.url)
    # hide_parameters: error messages and logs must never quote a lead's personal data.
    kwargs: dict[str, Any] = {"echo": settings.echo, "hide_parameters": not settings.echo}
    busy_ms = round(settings.sqlite_busy_timeout_seconds * 1000)
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_ms / 1000}
        kwargs["poolclass"] = NullPool if not pooled else None
        if kwargs["poolclass"] is None:
            del kwargs["poolclass"]
    else:
        kwargs["connect_args"] = _postgres_timeouts(settings)  # asyncpg: async_url sees to it
        if pooled:
            kwargs["pool_size"] = settings.pool_size
            kwargs["max_overflow"] = settings.overflow
            kwargs["pool_timeout"] = settings.pool_timeout_seconds
            kwargs["pool_pre_ping"] = True
        else:
            kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        if url.get_driver_name() == "aiosqlite":
            sqlite_hops.install(engine.sync_engine)  # one thread hop per statement
        _sqlite_setup(engine.sync_engine, busy_ms)
    dbfaults.install(engine)
    outagelog.watch(engine)
    return engine


def libpq_connect_timeout(seconds: float) -> int:
    """``connect_timeout`` for libpq's drivers (psycopg): whole seconds, at least 2 (libpq
    and psycopg treat anything smaller as 2; 0 would mean no limit at all)."""
    return max(2, math.ceil(seconds))


IDLE_IN_TRANSACTION_SECONDS = 60
"""``leadbot migrate``'s PostgreSQL sessions: the server rolls back a transaction whose
client has said nothing for this long (a migration cut off by a silent network path), so
its locks do not hold up the rerun (bot/migrate_watch.py)."""


def create_engine_sync(url: str, limits: DatabaseSettings | None = None) -> Engine:
    """A synchronous engine for migrations and maintenance tasks.

    Their statements may run as long as they need (a migration rewriting a large table),
    and SQLite waits longer for a lock than the bot does; but opening a PostgreSQL
    connection is bounded by ``limits.connect_timeout_seconds`` (default 3 s, in whole
    seconds of at least 2): without it psycopg waits 130 s for a server that accepts the
    connection and never answers. The commands other than ``migrate`` read the schema's
    revision on the bot's own engine, every wait bounded (:func:`bot.migrate.schema_revision`).
    With ``limits`` (``leadbot migrate``), a session idle in its transaction for
    :data:`IDLE_IN_TRANSACTION_SECONDS` is ended by the server.
    """
    sync = sync_url(url)
    connect_timeout = (limits or DatabaseSettings()).connect_timeout_seconds
    kwargs: dict[str, Any] = {}
    if sync.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": libpq_connect_timeout(connect_timeout)}
        if limits is not None:
            idle_ms = IDLE_IN_TRANSACTION_SECONDS * 1000
            kwargs["connect_args"]["options"] = f"-c idle_in_transaction_session_timeout={idle_ms}"
    engine = create_engine(sync, poolclass=NullPool, hide_parameters=True, **kwargs)
    if sync.get_backend_name() == "sqlite":
        _sqlite_setup(engine, SQLITE_MAINTENANCE_BUSY_TIMEOUT_MS)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
