"""Migration 0007 (delivery engine) goes down and up again on both databases; rows queued
before it get the lane of their kind."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.support.migrations import sql_rows

NEW_COLUMNS = {"lane", "turn", "claimed_by", "in_doubt"}


def _columns(url: str) -> set[str]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            return {c["name"] for c in inspect(conn).get_columns("outbox")}
    finally:
        engine.dispose()


def test_delivery_migration_down_and_up(database_url: str) -> None:
    assert _columns(database_url) >= NEW_COLUMNS
    command.downgrade(alembic_config(database_url), "0006")
    assert not NEW_COLUMNS & _columns(database_url)
    for kind in ("teaser", "lead_card", "staff", "content"):
        sql_rows(
            database_url,
            "INSERT INTO outbox (created_at, platform, address, kind, payload, status, attempts,"
            f" next_attempt_at) VALUES (CURRENT_TIMESTAMP, 'slack', 'C1', '{kind}', '{{}}',"
            " 'pending', 0, CURRENT_TIMESTAMP)",
        )
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    rows = sql_rows(database_url, "SELECT kind, lane, turn, claimed_by FROM outbox ORDER BY id")
    assert [(kind, lane, turn, holder) for kind, lane, turn, holder in rows] == [
        ("teaser", 1, 1, None),
        ("lead_card", 0, 1, None),
        ("staff", 0, 1, None),
        ("content", 2, 1, None),
    ]
    in_doubt = sql_rows(database_url, "SELECT in_doubt FROM outbox")
    assert {bool(v) for (v,) in in_doubt} == {False}
