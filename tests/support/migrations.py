"""Looking into a database the way the migration tests do: plain SQL on a short-lived
synchronous engine, so what a migration left behind is seen without the bot's models."""

from __future__ import annotations

from sqlalchemy import inspect, text

from bot.db import create_engine_sync


def table_names(url: str) -> set[str]:
    """The tables the database at ``url`` has now."""
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def sql_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` in its own committed transaction; its rows, if it returns any."""
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()
