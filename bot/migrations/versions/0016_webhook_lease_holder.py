"""webhook deliveries: webhook_deliveries.leased_by, the lease's holder

Revision ID: 0016
Revises: 0015

A webhook sender leased the rows it took (``leased_until``) but recorded their outcomes by
id alone. A sender that stalled past its lease while sending (a slow receiver, a frozen
process) had the row taken over by another, and its late answer then overwrote the other
sender's: a ``delivered`` row went back to pending or ``failed`` (with a staff notice and
the attempt counted twice), or a late 2xx marked a row whose retry was scheduled. Each take
now writes a token of its own into ``leased_by``, and outcomes are recorded only where the
row still carries it (bot/crm/sender.py, bot/crm/webhook_outcomes.py).

Rows leased when the upgrade runs have no token: the older sender that leased them records
by id as before, and the next take writes one. During a rolling upgrade an older leadbot's
sender neither writes nor checks the token, so the rule holds once every process runs this
release. The downgrade drops the column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: SQLite and PostgreSQL add it without rewriting
    # the table (it can be large: one row per endpoint and lead event).
    op.add_column("webhook_deliveries", sa.Column("leased_by", sa.String(length=64)))


def downgrade() -> None:
    # Not through batch mode, which on SQLite copies the whole table: SQLite drops a plain
    # column itself (ALTER TABLE … DROP COLUMN, SQLite 3.35 and later).
    op.drop_column("webhook_deliveries", "leased_by")
