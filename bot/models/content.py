"""Sales content as last synced from the library, what each rep received, and prospect news.

The ``content_items`` table is the *last good library*: ``sync_library`` writes it only from
a library that validated completely, and content packs are selected from it, so a broken
file on disk never reaches a rep and every bot process sends the same content.
``content_deliveries`` remembers which version of which item each rep got for which lead,
so an update is pushed once per version and never the whole pack again.

News matches hold the headline and link of an article about an identified company: that is
the only place such text is kept (outbox rows carry the match id), and ``erase`` deletes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigIntPK, utcnow


class ContentItem(Base):
    """One argument, offer or service of the library, in its current (or last) version."""

    __tablename__ = "content_items"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))  # content hash of the item
    kind: Mapped[str] = mapped_column(String(16))  # argument / offer / service
    line: Mapped[str] = mapped_column(String(100), index=True)
    industries: Mapped[list[str]] = mapped_column(default=list)  # empty: every industry
    products: Mapped[list[str]] = mapped_column(default=list)  # empty: every product of the line
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"de": {"title", "body"}}
    url: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(300))  # file in the library, for staff
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()  # gone from the library


class ContentDelivery(Base):
    """The version of an item last queued for a rep about one of their leads."""

    __tablename__ = "content_deliveries"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))  # pack / update
    at: Mapped[datetime] = mapped_column(default=utcnow)


class NewsFeed(Base):
    """Polling state of one configured feed: conditional-GET validators and the backoff.

    Feeds are known by the SHA-256 of their URL; only a redacted URL (no query, no user
    info) is stored, because a feed URL may carry an access token.
    """

    __tablename__ = "news_feeds"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_url: Mapped[str] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column()
    last_ok_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))


class NewsMatch(Base):
    """A feed item found to be about a lead's company, queued once for the lead's owner."""

    __tablename__ = "news_matches"
    __table_args__ = (
        UniqueConstraint("item_hash", "lead_id", name="uq_news_matches_item_lead"),
        Index("ix_news_matches_lead", "lead_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    item_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the item's link or id
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"))
    matched_by: Mapped[str] = mapped_column(String(16))  # name / domain / ticker
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(300))  # the feed's title
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
