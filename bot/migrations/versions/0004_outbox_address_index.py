"""outbox: index for the per-address ordering check of the sender

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_address", "outbox", ["platform", "address", "status", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_address", table_name="outbox")
