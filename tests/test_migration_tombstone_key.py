"""Migration 0011 (the tombstone key's fingerprint) goes down and up again on both databases.

Up, it starts empty even where tombstones exist: which key made them is unknown, and the
first process with a key records its own (docs/crm.md, "The tombstone key").
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, head_revision, upgrade


def _tables(url: str) -> set[str]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_tombstone_key_migration_down_and_up(database_url: str) -> None:
    assert "tombstone_key" in _tables(database_url)
    _rows(
        database_url,
        "INSERT INTO tombstone_key (id, fingerprint, recorded_at) "
        f"VALUES (1, '{'a' * 64}', CURRENT_TIMESTAMP)",
    )

    command.downgrade(alembic_config(database_url), "0010")
    tables = _tables(database_url)
    assert "tombstone_key" not in tables and "lead_tombstones" in tables

    upgrade(database_url)
    assert current_revision(database_url) == head_revision() == "0011"
    assert _rows(database_url, "SELECT id, fingerprint FROM tombstone_key") == []
