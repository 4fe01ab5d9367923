"""Apply the Alembic migrations in ``bot/migrations/`` to the configured database.

Alembic is imported only where it is used: every command that needs the schema asks for
:func:`schema_revision`, and importing Alembic took about a tenth of such a command's
start-up (``leadbot leads import``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import DatabaseSettings
from bot.db import READ_ONLY, create_engine_async, create_engine_sync
from bot.schema import MIGRATIONS, read_revision

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str, limits: DatabaseSettings | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    if limits is not None:  # bot/migrations/env.py: how long opening the connection may take
        config.attributes["limits"] = limits
    return config


def upgrade(url: str, revision: str = "head", limits: DatabaseSettings | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(url, limits), revision)


def current_revision(url: str, limits: DatabaseSettings | None = None) -> str | None:
    """The schema's revision, on the migrations' own (synchronous) engine: for ``leadbot
    migrate`` and tests. Only opening the connection is bounded (bot/db.py)."""
    engine = create_engine_sync(url, limits)
    try:
        with engine.connect() as conn:
            return read_revision(conn)
    finally:
        engine.dispose()


async def schema_revision(database: DatabaseSettings) -> str | None:
    """The schema's revision, read on the bot's own engine within all the ``[database]``
    limits (connect, command and statement timeouts, SQLite's busy timeout), as any of the
    bot's reads: what every command but ``migrate`` checks before it starts. A database
    that accepts connections and never answers ends it in seconds, with the same error as
    any other read (docs/database-outages.md)."""
    engine = create_engine_async(database, pooled=False)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})  # SQLite: no write lock
            return await conn.run_sync(read_revision)
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision in ``bot/migrations/`` (what ``leadbot migrate`` upgrades to), as
    Alembic reads it: for tests and tools. The bot asks :func:`bot.schema.head`, which
    gives the same without importing Alembic and every script."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
