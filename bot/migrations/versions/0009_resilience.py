"""resilience: database leases and seen deliveries (the database stands in for Redis)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "seen_deliveries",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_deliveries")),
    )
    op.create_index(
        op.f("ix_seen_deliveries_seen_at"), "seen_deliveries", ["seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_seen_deliveries_seen_at"), table_name="seen_deliveries")
    op.drop_table("seen_deliveries")
    op.drop_table("leases")
