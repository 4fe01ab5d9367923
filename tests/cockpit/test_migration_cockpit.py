"""Migration 0006 adds the cockpit's tables, lead-less timers and report indexes, and takes
them away again, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, head_revision, upgrade


def _schema(url: str) -> tuple[set[str], set[str], bool]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            tables = set(found.get_table_names())
            offers = {i["name"] for i in found.get_indexes("offers")}
            lead_id = next(c for c in found.get_columns("timers") if c["name"] == "lead_id")
            return tables, offers, bool(lead_id["nullable"])
    finally:
        engine.dispose()


def test_cockpit_migration_down_and_up(database_url: str) -> None:
    tables, offers, nullable = _schema(database_url)
    assert {"campaign_costs", "cockpit_logins"} <= tables
    assert "ix_offers_closed" in offers and nullable
    command.downgrade(alembic_config(database_url), "0004")
    tables, offers, nullable = _schema(database_url)
    assert not {"campaign_costs", "cockpit_logins"} & tables
    assert "ix_offers_closed" not in offers and not nullable
    upgrade(database_url)
    assert _schema(database_url)[0] >= {"campaign_costs", "cockpit_logins"}
    assert current_revision(database_url) == head_revision()
