"""Tables that let the database stand in for Redis: leases and seen deliveries.

Redis coordinates several processes when it is up; when it is down (or not configured)
the database answers the two questions whose wrong answer would do harm:

- **Who runs the timers now?** A row in ``leases`` per job (the scheduler, the news
  poller): a process takes it with one conditional UPDATE/INSERT and renews it; another
  process can take it over only after it expired.
- **Was this delivery already handled?** A Telegram update or a Slack delivery is
  recorded in ``seen_deliveries`` in the transaction that applied it, so "seen" and
  "done" commit together — a crash in between leaves it unseen, and the platform's
  redelivery is processed. Rows older than the platforms' retry window can be deleted.
- **Which presses were acknowledged and not yet answered?** A Claim press is written to
  ``pending_presses`` (with its seen mark) before the platform gets its acknowledgement,
  and deleted once it is decided and answered (:mod:`bot.inbox`): a crash in between
  leaves the row, and a process takes it up again when its lease has run out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigIntPK, utcnow


class Lease(Base):
    """A named job's single runner across processes, until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column()


class SeenDelivery(Base):
    """A platform delivery (e.g. ``telegram:update:<bot>:<id>``) that was applied."""

    __tablename__ = "seen_deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PendingPress(Base):
    """A press acknowledged to its platform and not decided and answered yet.

    Only what answering it needs is kept (no request body): who pressed which button with
    which value, and where the answer goes. ``lease_until``: the process working on it
    renews it; after it ran out (the process died) another takes the press up.
    """

    __tablename__ = "pending_presses"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    received_at: Mapped[datetime] = mapped_column()
    lease_until: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=1)
