"""cockpit: campaign costs, one-time sign-in links, lead-less timers (digest), report indexes

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Indexes for the cockpit's aggregate queries (bot/reports/): each date-ranged
# scan starts from the column it filters on.
INDEXES = (
    ("ix_offers_partner_created", "offers", ["partner_id", "created_at"]),
    ("ix_offers_closed", "offers", ["closed_at", "status", "partner_id", "created_at"]),
    ("ix_lead_events_to_status_at", "lead_events", ["to_status", "at"]),
    ("ix_leads_closed_at", "leads", ["closed_at"]),
    ("ix_lead_exclusions_at", "lead_exclusions", ["at"]),
)


def upgrade() -> None:
    op.create_table(
        "campaign_costs",
        sa.Column("campaign", sa.String(length=200), nullable=False),
        sa.Column("cost_eur", sa.Numeric(14, 2), nullable=False),
        sa.Column("imported_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign", name=op.f("pk_campaign_costs")),
    )
    op.create_table(
        "cockpit_logins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_cockpit_logins")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.alter_column(
            "lead_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        )
        batch_op.add_column(sa.Column("key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_timers_key"), ["key"])
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    op.execute("DELETE FROM timers WHERE lead_id IS NULL")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_timers_key"), type_="unique")
        batch_op.drop_column("key")
        batch_op.alter_column(
            "lead_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        )
    op.drop_table("cockpit_logins")
    op.drop_table("campaign_costs")
