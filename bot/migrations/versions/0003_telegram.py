"""telegram: reps.telegram_started_at (may the bot write to the rep's private chat?)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import bot.models.base


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('reps', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'telegram_started_at',
                bot.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('reps', schema=None) as batch_op:
        batch_op.drop_column('telegram_started_at')
