"""pause cause: partners.pause_cause, a pause nobody explained as data instead of English text

Revision ID: 0012
Revises: 0011

Until now a pause without a typed reason stored an English sentence in
``partners.pause_reason`` — "paused by cli", "paused by Boss P1", "missed the claim SLA 3
times" — which German ``explain`` showed as it was. Such a pause now stores a cause
(``{"key": "paused_by", "by": …}``, ``{"key": "sla_misses", "misses": …}``) that is said in
the reader's language (bot/directory/pause_causes.py), and ``pause_reason`` holds only what
a person typed.

The upgrade turns the sentences leadbot wrote into causes ("paused by cli" and "paused by
staff" name nobody: ``by`` null); any other reason was typed by a person and stays. A
reason someone typed that reads exactly like one leadbot wrote is taken for it — the words
are the same in English, and German readers get theirs. The downgrade writes the English
sentences back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAUSED_BY = re.compile(r"paused by (.+)", re.S)
_SLA = re.compile(r"missed the claim SLA (\d{1,9}) times")
_NOBODY = ("cli", "staff")
"""The recorded names of staff known by no name (``bot.actors``: the CLI, a chat's staff)."""

_partners = sa.table(
    "partners",
    sa.column("id", sa.String()),
    sa.column("pause_reason", sa.String()),
    sa.column("pause_cause", sa.JSON()),
)


def _cause(reason: str) -> dict[str, Any] | None:
    """The cause behind a sentence leadbot wrote; None for a reason a person typed."""
    if found := _SLA.fullmatch(reason):
        return {"key": "sla_misses", "misses": int(found.group(1))}
    if found := _PAUSED_BY.fullmatch(reason):
        by = found.group(1)
        return {"key": "paused_by", "by": None if by in _NOBODY else by}
    return None


def _sentence(cause: dict[str, Any]) -> str | None:
    """What 0011 stored for a cause (the downgrade)."""
    if cause.get("key") == "sla_misses":
        return f"missed the claim SLA {cause.get('misses')} times"
    if cause.get("key") == "paused_by":
        return f"paused by {cause.get('by') or 'staff'}"[:200]
    return None


def upgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pause_cause", sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_partners.c.id, _partners.c.pause_reason).where(
            _partners.c.pause_reason.is_not(None)
        )
    ).all()
    for partner_id, reason in rows:
        cause = _cause(reason)
        if cause is not None:
            connection.execute(
                _partners.update()
                .where(_partners.c.id == partner_id)
                .values(pause_reason=None, pause_cause=cause)
            )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_partners.c.id, _partners.c.pause_cause).where(
            _partners.c.pause_cause.is_not(None)
        )
    ).all()
    for partner_id, cause in rows:
        sentence = _sentence(cause) if isinstance(cause, dict) else None
        if sentence is not None:
            connection.execute(
                _partners.update()
                .where(_partners.c.id == partner_id, _partners.c.pause_reason.is_(None))
                .values(pause_reason=sentence)
            )
    # Not through batch mode: on SQLite that copies ``partners`` into a new table and drops
    # the old one, which its reps' foreign keys refuse once there are reps. SQLite drops a
    # plain column itself (ALTER TABLE … DROP COLUMN, SQLite 3.35 and later).
    op.drop_column("partners", "pause_cause")
