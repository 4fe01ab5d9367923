"""email: partners.email, wider outbox.address and chat_messages.chat_id, used_links

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00

E-mail addresses (up to 320 characters) become outbox addresses and the "chat" of a
remembered message, so both columns grow from 64 to 320. ``used_links`` holds the nonces
of used one-time links (insert = use). The downgrade drops the e-mail channel's rows
before narrowing the columns again (an address longer than 64 characters would not fit).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import bot.models.base


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column(
            'address', existing_type=sa.String(length=64), type_=sa.String(length=320),
            existing_nullable=False,
        )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.alter_column(
            'chat_id', existing_type=sa.String(length=64), type_=sa.String(length=320),
            existing_nullable=False,
        )
    op.create_table('used_links',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('used_at', bot.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bot.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_used_links'))
    )
    with op.batch_alter_table('used_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_links_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('used_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_links_expires_at'))
    op.drop_table('used_links')
    op.execute("DELETE FROM chat_messages WHERE platform = 'email'")
    op.execute("DELETE FROM outbox WHERE platform = 'email'")
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.alter_column(
            'chat_id', existing_type=sa.String(length=320), type_=sa.String(length=64),
            existing_nullable=False,
        )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column(
            'address', existing_type=sa.String(length=320), type_=sa.String(length=64),
            existing_nullable=False,
        )
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('email')
