"""crm: webhook outbox, erasure tombstones, commit-ordered change numbers on leads

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.models.base.UTCDateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("lead_event_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("queued_at", UTC, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="webhook_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("leased_until", UTC, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_webhook_deliveries_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_order",
        "webhook_deliveries",
        ["endpoint", "lead_id", "status", "id"],
    )
    op.create_index("ix_webhook_deliveries_created", "webhook_deliveries", ["created_at"])

    op.create_table(
        "lead_tombstones",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("erased_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_tombstones_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_lead_tombstones")),
    )
    op.create_index(op.f("ix_lead_tombstones_lead_id"), "lead_tombstones", ["lead_id"])

    counter = op.create_table(
        "lead_change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_change_counter")),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    # The server default only fills existing rows; the model always sets the value.
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.alter_column("change_seq", server_default=None)
    op.create_index("ix_leads_change", "leads", ["change_seq", "id"])
    op.create_index(op.f("ix_leads_updated_at"), "leads", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_leads_updated_at"), table_name="leads")
    op.drop_index("ix_leads_change", table_name="leads")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("change_seq")
    # A lead held as "previously erased" stays held, for a reason the old schema knows.
    op.execute(
        "UPDATE leads SET hold_reason = 'possible_duplicate' "
        "WHERE hold_reason = 'previously_erased'"
    )
    op.drop_table("lead_change_counter")
    op.drop_index(op.f("ix_lead_tombstones_lead_id"), table_name="lead_tombstones")
    op.drop_table("lead_tombstones")
    op.drop_index("ix_webhook_deliveries_created", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_order", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
