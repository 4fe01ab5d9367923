"""Tables of the CRM integration: the webhook outbox, erasure tombstones, the change counter.

* ``webhook_deliveries``: one row per configured endpoint and lead event, written in the
  transaction of the change (so a committed change always has its webhook, and a rolled
  back one never has), drained by :mod:`bot.crm.sender`.
* ``lead_tombstones``: keyed hashes of an erased lead's ``external_id`` and contact e-mail,
  so the same lead cannot come back through the API or an import (:mod:`bot.crm.erased_leads`).
* ``tombstone_key``: at most one row, the fingerprint of the key the tombstones are made
  with, so a process with another key refuses instead of missing them.
* ``lead_change_counter``: one row whose value every lead-changing transaction increments
  just before it commits; the row lock makes the numbers follow commit order, which the
  read API's cursor relies on (:mod:`bot.crm.changes`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigIntPK, utcnow
from bot.models.lead import _enum


class WebhookStatus(StrEnum):
    PENDING = "pending"  # waiting, being sent, or retried after a backoff
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # a permanent 4xx, or retries ran out; `leadbot webhooks replay`


class WebhookDelivery(Base):
    """One event for one endpoint; the payload is the lead as it was after the change."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # "Is an earlier event of this lead still waiting for this endpoint?" (order per lead)
        Index("ix_webhook_deliveries_order", "endpoint", "lead_id", "status", "id"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(40))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    lead_event_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    """Start of the retry window (creation, or the last replay)."""
    status: Mapped[WebhookStatus] = mapped_column(
        _enum(WebhookStatus, "webhook_status"), default=WebhookStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column()
    leased_by: Mapped[str | None] = mapped_column(String(64))
    """The lease's token (a sender's :func:`~bot.leaseholder.holder_name` and its take):
    an outcome is recorded only by the take that still holds the row."""
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column()


class LeadTombstone(Base):
    """What remains of an erased lead's identity: an HMAC, never the value itself."""

    __tablename__ = "lead_tombstones"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # external_id | email
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class TombstoneKey(Base):
    """The one key tombstones are made with, as a fingerprint: ``HMAC-SHA256(key, …)`` of a
    fixed text, never the key. A single row (id 1), recorded by the first process that uses
    tombstones with a configured key (:func:`bot.crm.tombstones.settle_key`)."""

    __tablename__ = "tombstone_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeCounter(Base):
    """A single row (id 1): the last change number handed out."""

    __tablename__ = "lead_change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
