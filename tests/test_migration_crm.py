"""Migration 0008 (CRM) goes down to 0006 and up again on both databases.

Down: the webhook outbox, the tombstones, the change counter and ``leads.change_seq`` go;
a lead held as "previously erased" stays held, for a reason the old schema knows. Up:
the counter starts again and the read API pages the existing leads.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from bot.db import create_engine_sync
from bot.migrate import alembic_config, current_revision, head_revision, upgrade

TABLES = {"webhook_deliveries", "lead_tombstones", "lead_change_counter"}


def _state(url: str) -> tuple[set[str], set[str], list[tuple[str, str | None]]]:
    engine = create_engine_sync(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            columns = {c["name"] for c in inspector.get_columns("leads")}
            leads = conn.execute(text("SELECT status, hold_reason FROM leads")).all()
            return set(inspector.get_table_names()), columns, [tuple(r) for r in leads]
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    engine = create_engine_sync(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def test_crm_migration_down_and_up(database_url: str) -> None:
    tables, columns, _ = _state(database_url)
    assert tables >= TABLES and "change_seq" in columns
    _execute(
        database_url,
        "INSERT INTO leads (status, hold_reason, products, consent_partner_contact, "
        "consent_allowed_partners, consent_allowed_tiers, offer_round, current_wave, "
        "created_at, updated_at, change_seq) VALUES ('held', 'previously_erased', '[]', "
        "false, '[]', '[]', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 7)",
    )

    command.downgrade(alembic_config(database_url), "0007")  # the revision before CRM
    tables, columns, leads = _state(database_url)
    assert not tables & TABLES and "change_seq" not in columns
    assert leads == [("held", "possible_duplicate")]

    upgrade(database_url)
    tables, columns, _ = _state(database_url)
    assert tables >= TABLES and "change_seq" in columns
    assert current_revision(database_url) == head_revision()
