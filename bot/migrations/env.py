"""Alembic environment: the URL comes from leadbot's settings, never from alembic.ini.

``leadbot migrate`` passes the URL in ``config.attributes["url"]``; plain ``alembic``
commands load the settings the same way the bot does (``LEADBOT_CONFIG`` / ``bot.toml``).
"""

from __future__ import annotations

from alembic import context

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


def run_migrations_online() -> None:
    url, limits = _database()
    engine = create_engine_sync(url, limits)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite(url),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
