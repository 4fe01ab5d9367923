"""One-time links that were used: a link's random nonce, stored when the link is used.

Signed links (e-mail one-click actions today, one-time sign-ins tomorrow) carry a nonce;
using a link inserts it here, so the primary key makes "use" and "already used" one atomic
step in the database — two clicks at the same moment, in any process, cannot both pass.
Rows whose link has expired can be deleted: an expired link is refused by its signature
check before this table is asked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class UsedLink(Base):
    """A used one-time link, by its nonce."""

    __tablename__ = "used_links"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
