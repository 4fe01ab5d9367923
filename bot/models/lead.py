"""Leads, their personal data (kept apart so it can be erased), audit events, exclusions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigIntPK, utcnow
from bot.models.enums import ActorKind, Channel, HoldReason, LeadStatus


def _enum(enum: type, name: str) -> Enum:
    # Stored as plain strings (no native ENUM type): adding a state needs no type migration.
    return Enum(enum, name=name, native_enum=False, length=32, values_callable=_values)


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]  # type: ignore[attr-defined]


class Lead(Base):
    """A sales lead. Only non-identifying facts live here; see :class:`LeadPersonalData`."""

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_change", "change_seq", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[LeadStatus] = mapped_column(_enum(LeadStatus, "lead_status"), index=True)
    hold_reason: Mapped[HoldReason | None] = mapped_column(_enum(HoldReason, "hold_reason"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))

    campaign: Mapped[str | None] = mapped_column(String(200), index=True)
    source: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue_eur: Mapped[int | None] = mapped_column(BigInteger)
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(16))  # e.g. DE-BY, derived
    postal_area: Mapped[str | None] = mapped_column(String(4))  # first two digits
    products: Mapped[list[str]] = mapped_column(default=list)
    estimated_value_eur: Mapped[int | None] = mapped_column(BigInteger)
    timeline: Mapped[str | None] = mapped_column(String(100))

    consent_partner_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_allowed_partners: Mapped[list[str]] = mapped_column(default=list)
    consent_allowed_tiers: Mapped[list[str]] = mapped_column(default=list)
    consent_given_at: Mapped[datetime | None] = mapped_column()

    offer_round: Mapped[int] = mapped_column(Integer, default=0)
    current_wave: Mapped[int] = mapped_column(Integer, default=0)  # 1-based; 0 = none
    offered_at: Mapped[datetime | None] = mapped_column()
    owner_partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), index=True)
    owner_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column()
    claimed_via: Mapped[str | None] = mapped_column(String(16))
    contacted_at: Mapped[datetime | None] = mapped_column()
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    revenue_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    lost_reason: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(index=True)

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    erased_at: Mapped[datetime | None] = mapped_column()
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """Number of the transaction that changed the lead last, in commit order
    (:mod:`bot.crm.changes`); the read API pages by ``(change_seq, id)``."""

    personal: Mapped[LeadPersonalData | None] = relationship(
        back_populates="lead", lazy="raise", uselist=False, cascade="all, delete-orphan"
    )


class LeadPersonalData(Base):
    """Everything that identifies the prospect. ``erase`` deletes this row."""

    __tablename__ = "lead_personal_data"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(253), index=True)  # normalised
    ticker: Mapped[str | None] = mapped_column(String(16))
    street: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320), index=True)  # normalised
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    contact_role: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    consent_text: Mapped[str | None] = mapped_column(Text)

    lead: Mapped[Lead] = relationship(back_populates="personal", lazy="raise")


class LeadEvent(Base):
    """Append-only audit trail: who did what to a lead, from where, when."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_to_status_at", "to_status", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[ActorKind] = mapped_column(_enum(ActorKind, "actor_kind"))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    partner_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    lead: Mapped[Lead] = relationship(lazy="raise")
    """Never read: it tells a flush to write a new lead before its events (leads received
    together are written with everything else, :mod:`bot.intake.together`)."""


class LeadExclusion(Base):
    """A partner that must not be offered this lead again (returned, recalled, declined)."""

    __tablename__ = "lead_exclusions"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
