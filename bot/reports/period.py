"""The date range every report and cockpit page is about: whole local days, both ends included.

``?from=2026-03-01&to=2026-03-31`` (or ``leadbot report --from --to``) means from local
midnight of the first day to local midnight after the last, in ``[distribution] timezone``
— the manufacturer's working days, not UTC's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.plaintext import quoted

MAX_DAYS = 3660
"""Ten years: a longer range is a typo (a wrong year), not a question."""

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)
"""The days a range may cover: before 1970 nothing happened (leads are stamped with the
clock), and near year 1 or 9999 a day's local midnight has no UTC time (``bounds``)."""


PeriodField = Literal["from", "to"]


class PeriodError(InvalidInput, ValueError):
    """A date range that cannot be used; the message names the bad part (English), its
    key says it in the cockpit reader's language (``period.*``).

    ``fields`` are the values it is about (``from``, ``to``, or both for a range that is
    reversed or too long) and ``detail`` says what is wrong without naming one of them: the
    CLI refuses it as a bad value of those options (``Invalid value for '--from': …``),
    as click names an option, rather than by this message's ``from: …``.
    """

    def __init__(
        self, detail: str, *, fields: tuple[PeriodField, ...], key: str, **params: Any
    ) -> None:
        named = f"{fields[0]}: {detail}" if len(fields) == 1 else detail
        super().__init__(named, key=key, **params)
        self.detail = detail
        self.fields = fields


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    timezone: str = "Europe/Berlin"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants: local midnight of ``start`` and after ``end``."""
        zone = self.zone
        lower = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        upper = datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)
        return lower, upper

    def week_origin(self) -> datetime:
        """Local midnight of the Monday of the first week (the trend's week 0), in UTC."""
        monday = self.start - timedelta(days=self.start.weekday())
        return datetime.combine(monday, time(0), self.zone).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> str:
        """``from=…&to=…`` for links that keep this range."""
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def day_of(text: str, name: PeriodField) -> date:
    """The day ``text`` names, as the ``name`` end of a range; :class:`PeriodError` if it is no
    date or outside :data:`FIRST_DAY` … :data:`LAST_DAY`."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(
            f"{quoted(text)} is not a date; use YYYY-MM-DD",
            fields=(name,),
            key=f"period.not_a_date_{name}",
            value=quoted(text, counted=False),
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        first, last = FIRST_DAY.isoformat(), LAST_DAY.isoformat()
        raise PeriodError(
            f"{day.isoformat()} is out of range; use a date from {first} to {last}",
            fields=(name,),
            key=f"period.out_of_range_{name}",
            day=day.isoformat(),
            first=first,
            last=last,
        )
    return day


def parse_period(
    start: str | None,
    end: str | None,
    *,
    now: datetime,
    timezone: str,
    default_days: int = 90,
) -> Period:
    """The range from the user's ``from``/``to`` (either may be missing or empty).

    Without ``to`` it ends today (local); without ``from`` it covers ``default_days`` days
    up to ``to`` (from :data:`FIRST_DAY` at the earliest). Raises :class:`PeriodError`
    naming the bad value, also for a day outside :data:`FIRST_DAY` … :data:`LAST_DAY`.
    """
    today = now.astimezone(ZoneInfo(timezone)).date()
    last = day_of(end, "to") if end and end.strip() else today
    first = (
        day_of(start, "from")
        if start and start.strip()
        else max(FIRST_DAY, last - timedelta(days=default_days - 1))
    )
    if first > last:
        raise PeriodError(
            f"from ({first.isoformat()}) is after to ({last.isoformat()})",
            fields=("from", "to"),
            key="period.reversed",
            first=first.isoformat(),
            last=last.isoformat(),
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(
            f"the range is longer than {MAX_DAYS} days; pick a shorter one",
            fields=("from", "to"),
            key="period.too_long",
            days=MAX_DAYS,
        )
    return Period(first, last, timezone)


def last_week(now: datetime, timezone: str) -> Period:
    """The seven local days before today (what the weekly digest reports)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return Period(today - timedelta(days=7), today - timedelta(days=1), timezone)
