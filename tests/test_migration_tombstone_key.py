"""Migration 0011 (the tombstone key's fingerprint) goes down and up again on both databases.

Up, it starts empty even where tombstones exist: which key made them is unknown, and the
first process with a key records its own — warning that it could not verify it against
them (docs/crm.md, "The tombstone key"). The tombstones themselves are left as they are.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from alembic import command

from bot.crm.tombstones import fingerprint
from bot.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.support.cli import leadbot
from tests.support.factories import lead_payload
from tests.support.migrations import sql_rows, table_names

KEY = "tombstone-key-migration-5e1a09c3"


TOMBSTONES = "SELECT digest, kind, lead_id FROM lead_tombstones ORDER BY digest"


def test_tombstone_key_migration_down_and_up(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    leads = tmp_path / "leads.json"
    leads.write_text(json.dumps([lead_payload()]), encoding="utf-8")
    assert leadbot(database_url, "leads", "import", str(leads)).exit_code == 0
    [(lead_id,)] = sql_rows(database_url, "SELECT id FROM leads")
    assert leadbot(database_url, "erase", "--yes", str(lead_id)).exit_code == 0
    tombstones = sql_rows(database_url, TOMBSTONES)
    assert len(tombstones) == 2  # external_id and e-mail, of the erased lead
    assert "tombstone_key" in table_names(database_url)
    sql_rows(
        database_url,
        "INSERT INTO tombstone_key (id, fingerprint, recorded_at) "
        f"VALUES (1, '{'a' * 64}', CURRENT_TIMESTAMP)",
    )

    command.downgrade(alembic_config(database_url), "0010")
    tables = table_names(database_url)
    assert "tombstone_key" not in tables and "lead_tombstones" in tables
    assert sql_rows(database_url, TOMBSTONES) == tombstones

    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    assert sql_rows(database_url, "SELECT id, fingerprint FROM tombstone_key") == []
    assert sql_rows(database_url, TOMBSTONES) == tombstones

    # The first process with a key records it, and cannot vouch for it over the tombstones.
    env = {"LEADBOT_SERVER__TOMBSTONE_KEY": KEY}
    checked = leadbot(database_url, "tombstones", "check", **env)
    assert "cannot be verified against the 2 tombstones" in checked.stdout
    with caplog.at_level(logging.WARNING, logger="bot.crm.tombstones"):
        imported = leadbot(database_url, "leads", "import", str(leads), **env)
    assert imported.exit_code == 0, imported.output
    assert "1 lead: 1 skipped" in imported.stdout  # made without a key: they fit any key
    assert sql_rows(database_url, "SELECT id, fingerprint FROM tombstone_key") == [
        (1, fingerprint(KEY.encode()))
    ]
    [warning] = [r for r in caplog.records if r.name == "bot.crm.tombstones"]
    assert "could not be verified against the 2 tombstones" in warning.getMessage()
    assert sql_rows(database_url, TOMBSTONES) == tombstones
