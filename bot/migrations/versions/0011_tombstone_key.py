"""tombstone key: the fingerprint of the key erasure tombstones are made with

Revision ID: 0011
Revises: 0010

One row at most. It starts empty: tombstones made before this revision were made with a
key leadbot did not record, and the first process that uses tombstones with a configured
key records its own, warning that it could not verify it against them (bot/crm/tombstones.py,
docs/crm.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tombstone_key",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstone_key")),
    )


def downgrade() -> None:
    op.drop_table("tombstone_key")
