"""Times in the status commands' output: in UTC, and how far from the moment they ran.

A time from the database alone misleads once it has passed (a "next attempt" that was
due minutes ago, a lease that already ran out), so leases and due times are also said
relative to now — seconds for the short leases, minutes beyond two of them.
"""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: datetime) -> datetime:
    """``value`` as aware UTC (an aggregate read from SQLite may come back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc(value: datetime | None) -> str:
    """``2026-03-02 08:05:10 UTC``; ``–`` for no time."""
    return aware(value).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "–"


def relative(now: datetime, then: datetime) -> str:
    """``then`` from ``now``: ``in 5 s``, ``6 s ago``, ``in 3 min``, ``12 min ago``, ``now``."""
    seconds = round((aware(now) - aware(then)).total_seconds())
    if abs(seconds) >= 120:
        minutes = round(seconds / 60)
        return f"{minutes} min ago" if minutes > 0 else f"in {-minutes} min"
    if seconds == 0:
        return "now"
    return f"{seconds} s ago" if seconds > 0 else f"in {-seconds} s"


def moment(now: datetime, then: datetime) -> str:
    """``2026-03-02 08:05:10 UTC (in 5 s)``: both, for times that may already be past."""
    return f"{utc(then)} ({relative(now, then)})"
