"""Apply the Alembic migrations in ``migrations/`` to the configured database.

Alembic is imported only where it is used: every command that needs the schema asks for
:func:`current_revision`, and importing Alembic took about a tenth of such a command's
start-up (``leadbot leads import``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect

from bot.config import DatabaseSettings
from bot.db import create_engine_sync

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str, limits: DatabaseSettings | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    if limits is not None:  # migrations/env.py: how long opening the connection may take
        config.attributes["limits"] = limits
    return config


def upgrade(url: str, revision: str = "head", limits: DatabaseSettings | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(url, limits), revision)


def current_revision(url: str, limits: DatabaseSettings | None = None) -> str | None:
    """The schema's revision. Only opening the connection is bounded (bot/db.py)."""
    engine = create_engine_sync(url, limits)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision in ``migrations/`` (what ``leadbot migrate`` upgrades to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
