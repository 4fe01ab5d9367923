"""Every migration goes down to the first and up again on a database in use — partners,
reps, leads with offers and a claim — on both databases, and keeps what the oldest schema
can hold. On SQLite the downgrades rebuild tables others refer to (batch mode: copy, drop,
rename), which foreign keys would refuse while rows refer to them."""

from __future__ import annotations

from alembic import command

from bot.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.support.cli import EXAMPLES, leadbot
from tests.support.migrations import sql_rows

COUNTED = ("partners", "reps", "leads", "offers")


def _counts(url: str) -> dict[str, int]:
    return {table: int(sql_rows(url, f"SELECT count(*) FROM {table}")[0][0]) for table in COUNTED}


def test_a_database_in_use_goes_down_to_the_first_revision_and_up_again(
    database_url: str,
) -> None:
    for kind, file in (("partners", "partners.csv"), ("reps", "reps.csv"), ("leads", "leads.json")):
        done = leadbot(database_url, kind, "import", str(EXAMPLES / file))
        assert done.exit_code == 0, done.output
    before = _counts(database_url)
    assert before["reps"] == 36 and before["leads"] == 10 and before["offers"] > 0

    command.downgrade(alembic_config(database_url), "0001")
    assert current_revision(database_url) == "0001"
    assert _counts(database_url) == before

    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    assert _counts(database_url) == before
