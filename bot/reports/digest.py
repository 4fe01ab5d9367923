"""The weekly digest: when it is due, the durable timer that fires it, and what it says.

``[reports] digest = "mon 08:00"`` (local time in ``[distribution] timezone``) makes the
scheduler keep one ``timers`` row for the next digest, with a unique key
(``digest:<due time>``): every process may try to insert it, only one row exists, and the
scheduler's conditional lock fires it once. Firing queues one outbox notice for the staff
channels (``NoticeKind.DIGEST``); the sender resolves it into a :class:`DigestView` with the
figures of the seven days before the digest's day, and the platforms post a chart image
with a caption and a link to the cockpit. A digest more than a day late (the bot was down)
is dropped rather than posted as news; a changed or removed schedule makes an old timer
obsolete.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery.notices import DigestView, NoticeKind, ToStaff
from bot.i18n import t
from bot.models import Timer, TimerKind
from bot.reports.format import day, money
from bot.reports.period import Period
from bot.reports.pipeline import build_report
from bot.uow import UnitOfWork

STALE_AFTER = timedelta(hours=24)
TREND_WEEKS = 8


def next_digest_at(now: datetime, settings: Settings) -> datetime | None:
    """The next digest time strictly after ``now`` (UTC), or None when the digest is off."""
    when = settings.reports.digest_time()
    if when is None:
        return None
    weekday, hour, minute = when
    zone = ZoneInfo(settings.distribution.timezone)
    local = now.astimezone(zone)
    days = (weekday - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days), time(hour, minute), zone)
    if candidate <= local:
        candidate = datetime.combine(
            local.date() + timedelta(days=days + 7), time(hour, minute), zone
        )
    return candidate.astimezone(ZoneInfo("UTC"))


def timer_key(due: datetime) -> str:
    return f"digest:{due.isoformat()}"


async def ensure_digest_timer(uow: UnitOfWork) -> bool:
    """Make sure the next digest has its timer row; True if this call created it."""
    due = next_digest_at(uow.clock.now(), uow.settings)
    if due is None:
        return False
    key = timer_key(due)
    if await uow.session.scalar(select(Timer.id).where(Timer.key == key)) is not None:
        return False
    uow.session.add(
        Timer(kind=TimerKind.DIGEST, lead_id=None, key=key, due_at=due, created_at=uow.clock.now())
    )
    try:
        await uow.commit()
    except IntegrityError:  # another process inserted the same key first: fine
        await uow.rollback()
        return False
    return True


def digest_period(due: datetime, settings: Settings) -> Period:
    """The seven local days before the digest's day."""
    zone = settings.distribution.timezone
    today = due.astimezone(ZoneInfo(zone)).date()
    return Period(today - timedelta(days=7), today - timedelta(days=1), zone)


async def fire_digest(uow: UnitOfWork, timer: Timer) -> str:
    """Queue the digest for the staff channels; the timer's outcome."""
    settings = uow.settings
    before = timer.due_at - timedelta(seconds=1)
    if next_digest_at(before, settings) != timer.due_at:
        return "obsolete"  # switched off or moved since the timer was made
    if uow.clock.now() - timer.due_at > STALE_AFTER:
        return "obsolete"
    period = digest_period(timer.due_at, settings)
    await uow.outbox.enqueue(
        ToStaff(),
        NoticeKind.DIGEST,
        {"from": period.start.isoformat(), "to": period.end.isoformat()},
    )
    return "fired"


async def digest_view(
    session: AsyncSession, settings: Settings, payload: dict[str, Any], now: datetime
) -> DigestView:
    """The figures of the payload's week and the trend of the weeks before (at send time)."""
    zone = settings.distribution.timezone
    week = Period(date.fromisoformat(payload["from"]), date.fromisoformat(payload["to"]), zone)
    sessions = async_sessionmaker(session.bind, expire_on_commit=False)
    report = await build_report(sessions, settings, week, now)
    trend_period = Period(week.end - timedelta(days=7 * TREND_WEEKS - 1), week.end, zone)
    trend = await build_report(sessions, settings, trend_period, now, partners=False)
    top = sorted((p for p in report.partners if p.claims), key=lambda p: (-p.claims, p.name))
    return DigestView(
        language=settings.staff.language,
        start=week.start,
        end=week.end,
        leads=report.total,
        won=report.funnel.won,
        revenue_eur=report.revenue_eur,
        open=report.open_leads,
        pipeline_eur=report.pipeline_eur,
        top_partners=tuple((p.name, p.claims) for p in top[:3]),
        weeks=tuple((w.start, w.leads, w.revenue_eur) for w in trend.weeks),
        cockpit_url=f"{settings.server.base_url()}/cockpit?{week.query()}",
    )


def digest_lines(view: DigestView) -> list[str]:
    """The digest's words (plain text; each platform escapes them for its format)."""
    lang = view.language
    lines = [
        t(lang, "digest.title", start=day(view.start, lang), end=day(view.end, lang)),
        t(
            lang,
            "digest.line",
            leads=view.leads,
            won=view.won,
            revenue=money(view.revenue_eur, lang),
            open=view.open,
            pipeline=money(view.pipeline_eur, lang),
        ),
    ]
    if view.top_partners:
        names = ", ".join(f"{name} ({claims})" for name, claims in view.top_partners)
        lines.append(t(lang, "digest.partners", partners=names))
    lines.append(t(lang, "digest.link", url=view.cockpit_url))
    return lines
