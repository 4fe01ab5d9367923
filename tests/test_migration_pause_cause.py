"""Migration 0012 (``partners.pause_cause``) goes up and down on both databases.

Up, the English sentences leadbot stored for a pause nobody explained become causes that
``explain`` says in the reader's language; a reason a person typed stays as typed. Down,
the sentences are written back (an unnamed "paused by cli" comes back as "paused by
staff", the words the feed uses for it) and the column goes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from alembic import command

from bot.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.support.cli import leadbot, load_demo
from tests.support.migrations import sql_rows

OLD = {
    "P-DE-001": "paused by cli",
    "P-DE-002": "paused by Boss P1",
    "P-DE-003": "missed the claim SLA 3 times",
    "P-DE-004": "Messe in Köln",
}
PAUSES = (
    "SELECT id, pause_reason FROM partners WHERE paused_at IS NOT NULL ORDER BY id",
    "SELECT id, pause_reason, pause_cause FROM partners WHERE paused_at IS NOT NULL ORDER BY id",
)


def _explained(database_url: str, partner: str) -> str:
    """The ``active`` row of ``leadbot explain 1 --partner …`` (German staff)."""
    result = leadbot(database_url, "explain", "1", "--partner", partner)
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if re.match(r"\s+✗ aktiv ", line)]
    return " ".join(row.split()[2:])


def test_pause_cause_migration_up_and_down(database_url: str, tmp_path: Path) -> None:
    load_demo(database_url, tmp_path)
    command.downgrade(alembic_config(database_url), "0011")
    for partner, reason in OLD.items():
        sql_rows(
            database_url,
            f"UPDATE partners SET paused_at = CURRENT_TIMESTAMP, pause_reason = '{reason}' "
            f"WHERE id = '{partner}'",
        )

    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    rows = {
        pid: (reason, json.loads(cause) if isinstance(cause, str) else cause)
        for pid, reason, cause in sql_rows(database_url, PAUSES[1])
    }
    assert rows == {
        "P-DE-001": (None, {"key": "paused_by", "by": None}),
        "P-DE-002": (None, {"key": "paused_by", "by": "Boss P1"}),
        "P-DE-003": (None, {"key": "sla_misses", "misses": 3}),
        "P-DE-004": ("Messe in Köln", None),
    }
    assert _explained(database_url, "P-DE-001") == "Partner ist pausiert (von Mitarbeitenden)"
    assert _explained(database_url, "P-DE-002") == "Partner ist pausiert (von Boss P1)"
    assert _explained(database_url, "P-DE-003") == (
        "Partner ist pausiert (Frist zur Kontaktaufnahme 3-mal verpasst)"
    )
    assert _explained(database_url, "P-DE-004") == "Partner ist pausiert (Messe in Köln)"

    command.downgrade(alembic_config(database_url), "0011")
    assert sql_rows(database_url, PAUSES[0]) == [
        ("P-DE-001", "paused by staff"),
        ("P-DE-002", "paused by Boss P1"),
        ("P-DE-003", "missed the claim SLA 3 times"),
        ("P-DE-004", "Messe in Köln"),
    ]
    upgrade(database_url)  # and up again, as a later upgrade would
    assert _explained(database_url, "P-DE-001") == "Partner ist pausiert (von Mitarbeitenden)"
