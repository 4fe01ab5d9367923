"""partners.email_teasers_stopped_at: the lead inbox asked for no more teaser mails

Revision ID: 0017
Revises: 0016

Teaser mails to a partner's lead inbox now carry a one-click unsubscribe link
(``List-Unsubscribe``, RFC 8058; bot/handlers/email/unsubscribe.py). Using it records when
on the partner; while set, the e-mail channel has no address for the partner's teasers
(its chat teasers are unaffected). Staff clear it with ``leadbot partners email-teasers
P --on``; a partners import that gives the partner a different address clears it too (the
new inbox never asked). The downgrade drops the column, and with it every stop.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: added without rewriting the table.
    op.add_column(
        "partners",
        sa.Column(
            "email_teasers_stopped_at", bot.models.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    # Not through batch mode (which copies the table on SQLite): SQLite 3.35 and later
    # drop a plain column themselves.
    op.drop_column("partners", "email_teasers_stopped_at")
