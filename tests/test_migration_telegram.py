"""Migration 0003 adds reps.telegram_started_at and takes it away again, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, head_revision, upgrade


def _rep_columns(url: str) -> set[str]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            return {c["name"] for c in inspect(conn).get_columns("reps")}
    finally:
        engine.dispose()


def test_telegram_migration_down_and_up(database_url: str) -> None:
    assert "telegram_started_at" in _rep_columns(database_url)
    command.downgrade(alembic_config(database_url), "0002")
    columns = _rep_columns(database_url)
    assert "telegram_started_at" not in columns and "telegram_user_id" in columns
    upgrade(database_url)
    assert "telegram_started_at" in _rep_columns(database_url)
    assert current_revision(database_url) == head_revision()
