"""The partner directory: partners (resellers), their reps (chat identities), link codes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigIntPK, utcnow


class Partner(Base):
    """A reseller, integrator or dealer. Its id comes from the manufacturer's CSV."""

    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(32))
    certifications: Mapped[dict[str, str]] = mapped_column(default=dict)  # line -> level
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue_eur: Mapped[int | None] = mapped_column(BigInteger)
    country: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    service_radius_km: Mapped[float | None] = mapped_column(Float)
    regions: Mapped[list[str]] = mapped_column(default=list)
    segments: Mapped[list[str]] = mapped_column(default=list)
    products: Mapped[list[str]] = mapped_column(default=list)
    max_open_leads: Mapped[int] = mapped_column(Integer, default=10)
    languages: Mapped[list[str]] = mapped_column(default=list)
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    email: Mapped[str | None] = mapped_column(String(320))  # the partner's lead inbox
    # When the lead inbox asked for no more teaser mails (the unsubscribe link in each one,
    # bot/handlers/email/unsubscribe.py); None: teasers are mailed. Chat teasers go on.
    email_teasers_stopped_at: Mapped[datetime | None] = mapped_column()

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_leave_until: Mapped[date | None] = mapped_column(Date)
    paused_at: Mapped[datetime | None] = mapped_column()
    pause_reason: Mapped[str | None] = mapped_column(String(200))  # as a person typed it
    # A pause nobody explained, as data said in the reader's language (pause_causes.py).
    pause_cause: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    sla_misses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    reps: Mapped[list[Rep]] = relationship(back_populates="partner", lazy="raise")

    @property
    def language(self) -> str:
        """The language of the partner's channel: its first language, else German."""
        for lang in self.languages:
            if lang in ("de", "en"):
                return lang
        return "de"


class Rep(Base):
    """A sales person of a partner, known by e-mail and linked to chat accounts."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # When the rep last wrote to the bot in a private chat (so the bot may message them);
    # cleared when Telegram refuses a private message (never started, or bot blocked).
    telegram_started_at: Mapped[datetime | None] = mapped_column()
    role: Mapped[str] = mapped_column(String(32), default="sales")
    language: Mapped[str] = mapped_column(String(2), default="de")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="reps", lazy="raise")


class LinkCode(Base):
    """A one-time code that links a chat account (Telegram deep link) to a rep.

    Only the SHA-256 of the code is stored, so a database dump cannot be used to link.
    """

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
