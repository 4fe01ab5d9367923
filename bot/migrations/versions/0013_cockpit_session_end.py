"""cockpit sessions end on the server: cockpit_logins.ended_at

Revision ID: 0013
Revises: 0012

A cockpit session was only a signed cookie: *Sign out* deleted it in that browser, but a
copy of the cookie (another browser, a shared computer's profile, a proxy log) stayed
valid for ``[cockpit] session_hours``. A session is now the sign-in that started it (the
``cockpit_logins`` row its link spent, named in the cookie), and ``ended_at`` ends it for
every copy: *Sign out*, or ``leadbot cockpit end-sessions`` for all of them.

Cookies issued before this revision name no sign-in; they are refused once it runs (staff
sign in again with a new link). The downgrade drops the column, and with it the record of
sessions that were ended.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cockpit_logins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ended_at", bot.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("cockpit_logins", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
