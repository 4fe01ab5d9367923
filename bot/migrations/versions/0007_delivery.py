"""delivery: outbox lanes, leases with a holder, rows in doubt after a crash

Revision ID: 0007
Revises: 0006

``lane`` orders the sender's work (0 urgent: lead cards, "taken" edits, rep and staff
notices; 1 teasers; 2 bulk: content, news, the digest); existing rows get the lane of
their kind. ``turn`` is a row's place among its lead's rows of one lane queued together
(a wave's teasers 1, 2, 3, ...), so the sender can interleave leads. ``claimed_by`` names the process holding a row (its lease ends at
``locked_until``, renewed by a heartbeat); ``in_doubt`` marks a row whose holder died or
whose last answer was lost, so the next sender checks the platform before posting again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

URGENT = ("teaser_closed", "lead_card", "reminder", "rep_info", "staff")
BULK = ("content", "news", "digest")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("turn", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("in_doubt", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_outbox_claim", ["status", "platform", "address", "id"], unique=False
        )
    urgent = ", ".join(f"'{kind}'" for kind in URGENT)
    bulk = ", ".join(f"'{kind}'" for kind in BULK)
    op.execute(f"UPDATE outbox SET lane = 0 WHERE kind IN ({urgent})")
    op.execute(f"UPDATE outbox SET lane = 2 WHERE kind IN ({bulk})")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_claim")
        batch_op.drop_column("in_doubt")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("turn")
        batch_op.drop_column("lane")
