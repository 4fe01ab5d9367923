"""Migration 0005 (e-mail channel) goes down and up again on both databases.

Down: the partners' inbox column and the used-links table go, and the two address columns
are narrowed to 64 characters again — after the e-mail channel's own rows are removed, so
an address longer than 64 characters cannot break the downgrade.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, head_revision, upgrade

LONG_ADDRESS = "a-very-long-local-part-for-a-partner-lead-inbox@" + "x" * 40 + ".example"


def _schema(url: str) -> tuple[set[str], dict[str, int | None]]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            lengths = {
                f"{table}.{c['name']}": getattr(c["type"], "length", None)
                for table in ("outbox", "chat_messages", "partners")
                for c in inspector.get_columns(table)
            }
            return set(inspector.get_table_names()), lengths
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def test_email_migration_down_and_up(database_url: str) -> None:
    tables, lengths = _schema(database_url)
    assert "used_links" in tables
    assert lengths["outbox.address"] == 320 and lengths["chat_messages.chat_id"] == 320
    assert lengths["partners.email"] == 320
    _execute(
        database_url,
        "INSERT INTO outbox (created_at, platform, address, kind, payload, status, attempts,"
        " next_attempt_at) VALUES (CURRENT_TIMESTAMP, 'email', "
        f"'{LONG_ADDRESS}', 'reminder', '{{}}', 'pending', 0, CURRENT_TIMESTAMP)",
    )

    command.downgrade(alembic_config(database_url), "0004")
    tables, lengths = _schema(database_url)
    assert "used_links" not in tables and "partners.email" not in lengths
    assert lengths["outbox.address"] == 64 and lengths["chat_messages.chat_id"] == 64

    upgrade(database_url)
    tables, lengths = _schema(database_url)
    assert "used_links" in tables and lengths["partners.email"] == 320
    assert current_revision(database_url) == head_revision()
