"""offers: index on (created_at, partner_id) for the fairness and report counts

Revision ID: 0014
Revises: 0013

Every ``explain`` (and every matching run with ``[matching] fairness``) counts each
partner's offers since ``fairness_days`` ago, and the staff report counts each partner's
offers of its period: ``WHERE created_at >= … GROUP BY partner_id``. No index began with
``created_at``, so PostgreSQL read the whole ``offers`` table each time — a table that grows
by one row per partner a lead is offered to (hundreds for an open marketplace wave).
With the index both read only the period's entries (an index-only scan).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_offers_created", "offers", ["created_at", "partner_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_offers_created", table_name="offers")
