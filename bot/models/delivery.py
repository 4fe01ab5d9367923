"""Offers (lead x partner x wave), the chat messages we may edit, the outbox, timers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigIntPK, utcnow
from bot.models.enums import MessageKind, OfferStatus, OutboxStatus, TimerKind
from bot.models.lead import Lead, _enum


class Offer(Base):
    """A lead offered to one partner in one wave of one matching round."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("lead_id", "partner_id", "round", name="lead_partner_round"),
        Index("ix_offers_partner_created", "partner_id", "created_at"),
        # Covers the reports' "offers ended in the period" scans (bot/reports/partner_figures.py).
        Index("ix_offers_closed", "closed_at", "status", "partner_id", "created_at"),
        # Covers "offers per partner since …": fairness (bot/directory/recent.py, every
        # explain) and the reports' offers of the period; without it, a scan of every offer.
        Index("ix_offers_created", "created_at", "partner_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    wave: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus, "offer_status"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    lead: Mapped[Lead] = relationship(lazy="raise")
    """Never read: it tells a flush to write a new lead before its offers. Without a
    relationship SQLAlchemy orders the tables of a flush as it likes, and leads received
    together are written with everything else (:mod:`bot.intake.together`)."""


class ChatMessage(Base):
    """A message we posted and may edit later (a teaser, a rep's lead card)."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "message_id", name="platform_chat_message"),
        Index("ix_chat_messages_lookup", "platform", "kind", "lead_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(320))  # e-mail addresses are long
    message_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "message_kind"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"), index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A platform-neutral notice for one platform address, written with the state change.

    The payload holds ids and non-identifying facts only; personal data is read when the
    notice is sent, so ``erase`` never has to hunt through queued messages.

    A sender holds a row while it sends it: ``claimed_by`` names the process and
    ``locked_until`` is the end of its lease, renewed by the holder's heartbeat. A row whose
    lease ran out while still claimed (its holder died mid-send) is ``in_doubt``: it may
    have reached the platform, so the next sender looks before posting where it can
    (docs/lifecycle.md, "Delivery guarantees").
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # The sender keeps each address's order: "is an older row to this address waiting?"
        Index("ix_outbox_address", "platform", "address", "status", "id"),
        # The sender's claim: pending rows of one platform, most urgent lane first.
        Index("ix_outbox_claim", "status", "platform", "address", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    platform: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))  # a chat id or an e-mail address
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    lane: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    """Priority: 0 urgent (cards, edits, staff), 1 teasers, 2 bulk (bot/delivery/lanes.py)."""
    turn: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Its place among the rows of its lead and lane queued together (a wave's teasers
    1, 2, 3, ...): the sender serves the first of every lead before the second of any."""
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column()


class Timer(Base):
    """A durable timer: a row that the scheduler turns into a service call when due."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[TimerKind] = mapped_column(_enum(TimerKind, "timer_kind"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    """For timers that must exist once (``digest:2026-03-09``): several processes may try to
    schedule the same one; the unique key lets only the first insert win."""
    due_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))  # fired / cancelled / obsolete

    lead: Mapped[Lead | None] = relationship(lazy="raise")
    """Never read: a flush writes a new lead before its timers (:class:`Offer`)."""
