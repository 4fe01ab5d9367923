"""pending presses: a Claim press is stored before its ack and deleted once answered

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pending_presses",
        sa.Column("id", bot.models.base.BigIntPK, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("reply_to", sa.String(length=2048), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("lease_until", UTC, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_presses")),
    )
    op.create_index(
        op.f("ix_pending_presses_lease_until"), "pending_presses", ["lease_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_presses_lease_until"), table_name="pending_presses")
    op.drop_table("pending_presses")
