"""Alembic environment: the URL comes from leadbot's settings, never from alembic.ini.

``leadbot migrate`` passes the URL in ``config.attributes["url"]``; plain ``alembic``
commands load the settings the same way the bot does (``LEADBOT_CONFIG`` / ``bot.toml``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.config import DatabaseSettings
from bot.db import create_engine_sync, is_sqlite
from bot.models import Base

config = context.config
target_metadata = Base.metadata


def _database() -> tuple[str, DatabaseSettings | None]:
    """The URL, and the ``[database]`` limits of which only the connect timeout applies:
    from ``leadbot migrate``, else from the settings file."""
    url = config.attributes.get("url")
    if url:
        return str(url), config.attributes.get("limits")
    from bot.config import load_settings

    database = load_settings().database
    return database.url, database


def run_migrations_offline() -> None:
    from bot.db import sync_url

    url = _database()[0]
    context.configure(
        url=sync_url(url).render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()


def _foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite: switch foreign-key enforcement on or off for this connection. Batch mode
    changes a table by copying it, dropping the old one and renaming the copy; with
    enforcement on, dropping a table that rows of another refer to fails (a downgrade of
    ``leads`` once offers exist). The pragma is a no-op inside a transaction, so it goes
    straight to the driver, whose connection is in autocommit mode between transactions."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _dangling(connection: Connection) -> int:
    """How many rows refer to rows that do not exist (SQLite's own check)."""
    return len(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


def _check_foreign_keys(connection: Connection, before: int) -> None:
    """What enforcement would have refused, checked once at the end instead: a migration
    that leaves more rows pointing nowhere than there were fails, and its transaction is
    rolled back. (Rows that pointed nowhere before are not the migration's doing.)"""
    after = _dangling(connection)
    if after > before:
        rows = "1 more row" if after - before == 1 else f"{after - before} more rows"
        raise RuntimeError(
            f"the migration would leave {rows} referring to rows that do not exist; "
            "nothing was migrated"
        )


def run_migrations_online() -> None:
    url, limits = _database()
    sqlite = is_sqlite(url)
    engine = create_engine_sync(url, limits)
    try:
        with engine.connect() as connection:
            if sqlite:
                _foreign_keys(connection, on=False)
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                # SQLite's DDL is transactional too (Alembic assumes not): a migration that
                # fails half-way, or leaves rows pointing nowhere, leaves nothing behind.
                transactional_ddl=True,
            )
            with context.begin_transaction():
                before = _dangling(connection) if sqlite else 0
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection, before)
    finally:
        # The pragma is per connection, and the engine pools none (NullPool): closing it
        # ends the switch-off too, also when a migration failed.
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
