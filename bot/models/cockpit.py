"""Tables of the staff cockpit: campaign costs and one-time sign-in links."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class CampaignCost(Base):
    """What a campaign cost, imported with ``leadbot campaigns import costs.csv``.

    Overrides ``[reports] campaign_costs`` for the same campaign name.
    """

    __tablename__ = "campaign_costs"

    campaign: Mapped[str] = mapped_column(String(200), primary_key=True)
    cost_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class CockpitLogin(Base):
    """A one-time sign-in link, and the session it started. Only the SHA-256 of the token is
    stored, so a database dump holds no usable link; ``used_at`` makes it single use (set by
    a conditional UPDATE). The session cookie names this row; ``ended_at`` (sign-out, or
    ``leadbot cockpit end-sessions``) ends the session for every copy of the cookie."""

    __tablename__ = "cockpit_logins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
