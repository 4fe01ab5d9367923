"""Pausing and resuming partners: staff (`leadbot partners pause|resume`, `pause`/`resume`
in any staff chat) and a partner's managers for their own partner (`away`/`back`).

A paused partner gets no teasers; its open leads are not touched. A pause may have an end
(``until``: paused through that day); a durable timer resumes the partner at the start of
the next day in ``[distribution] timezone``, and staff hear of it. Matching treats a pause
whose end has passed as over even before the timer fired, so correctness never depends on
the timer's punctuality. ``explain`` shows the pause with its reason and end: the reason as
typed, or — for a pause nobody explained — who paused, in the reader's language
(:mod:`bot.directory.pause_causes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.actors import Actor
from bot.config import Settings
from bot.directory.pause_causes import paused_by
from bot.errors import InvalidInput, NotFound
from bot.models import Partner, Timer, TimerKind
from bot.plaintext import bad_character, quoted, shortened, trim
from bot.uow import UnitOfWork

REASON_MAX = 200
MAX_PAUSE_DAYS = 366
"""How far ahead a pause may end: a year, like a follow-up date
(:data:`bot.leads.status_reports.MAX_FOLLOW_UP_DAYS`). A longer absence is a pause without
end; a far date is a typo (``2062`` for ``2026``), and year 9999 has no next day to resume on."""


class Pausable(Protocol):
    """What :func:`is_paused` reads: a :class:`Partner`, or a row of its columns (matching)."""

    @property
    def paused_at(self) -> datetime | None: ...

    @property
    def on_leave_until(self) -> date | None: ...


def is_paused(partner: Pausable, today: date) -> bool:
    """Paused now: a pause without end, or one whose last day is ``today`` or later.

    ``today`` must be the local day (:func:`local_date`): ``until`` is a day in
    ``[distribution] timezone``, so the UTC date would end a pause hours early or late.
    """
    if partner.paused_at is None:
        return False
    return partner.on_leave_until is None or partner.on_leave_until >= today


def local_date(settings: Settings, now: datetime) -> date:
    """The day ``now`` falls on in ``[distribution] timezone``, the calendar pauses count in.

    For callers without a unit of work (the outbox sender, the e-mail link pages)."""
    return now.astimezone(ZoneInfo(settings.distribution.timezone)).date()


def local_today(uow: UnitOfWork) -> date:
    """Today in ``[distribution] timezone``: every check of a pause's end uses this day."""
    return local_date(uow.settings, uow.clock.now())


def _resume_at(uow: UnitOfWork, until: date) -> datetime:
    """The start of the day after ``until``, in the manufacturer's time zone, as UTC."""
    zone = ZoneInfo(uow.settings.distribution.timezone)
    return datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone).astimezone(
        ZoneInfo("UTC")
    )


async def partner_or_not_found(uow: UnitOfWork, partner_id: str) -> Partner:
    """The partner, or NotFound naming the id (escaped: it is echoed to chats and terminals)."""
    if bad_character(partner_id) is not None:  # no partner's id, and PostgreSQL fails on a NUL
        shown = quoted(partner_id, counted=False)  # escaped: echoed to chats and terminals
        raise NotFound(
            f"no partner with id {quoted(partner_id)}",
            key="reply.partner_not_found",
            partner=shown,
        )
    partner = await uow.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(
            f"no partner with id {quoted(partner_id)}",
            key="reply.partner_not_found",
            partner=shortened(partner_id),
        )
    return partner


def check_until(until: date | None, today: date) -> None:
    """A pause ends today at the earliest and :data:`MAX_PAUSE_DAYS` ahead at the latest.

    Public so that the CLI refuses a bad ``--until`` as the usage error it is (exit status
    2, like a malformed date) before it opens the database; :func:`pause` checks again.
    The message names the pause's end, so it reads right after any field name.
    """
    if until is None:
        return
    if until < today:
        raise InvalidInput(
            f"the pause's end {until.isoformat()} is in the past (the last day of a pause "
            "is today or later)",
            key="reply.until_past",
            date=until,
        )
    if until > today + timedelta(days=MAX_PAUSE_DAYS):
        raise InvalidInput(
            f"the pause's end {until.isoformat()} is more than {MAX_PAUSE_DAYS} days ahead "
            f"(a longer pause has no end: leave out the date)",
            key="reply.until_far",
            date=until,
        )


def check_reason(reason: str | None) -> str | None:
    """The reason trimmed, or None. It is shown on one line to staff and in ``explain``:
    a line break would forge a line there, an escape sequence repaint a terminal, and
    PostgreSQL refuses a NUL — so control characters are refused, as in every other field,
    and so is a reason over :data:`REASON_MAX` characters.

    Public so that the CLI refuses a bad ``--reason`` as the usage error it is (exit status
    2) before it opens the database, with the same words; :func:`pause` checks again for
    the chats. The message names no field, so it reads right after any field name.
    """
    if reason is None:
        return None
    problem = bad_character(reason)
    if problem is not None:
        raise InvalidInput(problem, key="reply.reason_bad")
    reason = trim(reason) or None  # invisible format characters alone are no reason
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput(f"at most {REASON_MAX} characters", key="reply.reason_long")
    return reason


def _checked_reason(reason: str | None) -> str | None:
    """:func:`check_reason`, its refusal naming the field (``reason: …``) for logs."""
    try:
        return check_reason(reason)
    except InvalidInput as exc:
        raise InvalidInput(f"reason: {exc}", key=exc.key, **exc.params) from None


@dataclass(frozen=True)
class Paused:
    """What :func:`pause` did: ``changed`` False means the partner was paused in just this
    way already (the answer says so: "was already paused")."""

    partner: Partner
    changed: bool


async def pause(
    uow: UnitOfWork, partner_id: str, actor: Actor, until: date | None, reason: str | None
) -> Paused:
    """Pause ``partner_id`` (through ``until``, or until resumed). Commits.

    Raises NotFound for an unknown partner and InvalidInput for an end in the past or more
    than :data:`MAX_PAUSE_DAYS` ahead, or a reason that is overlong or holds a control
    character; nothing changes then. A partner paused already in just this way (the same
    end, reason and cause) is left as it is, without a second staff-feed line.
    """
    partner = await partner_or_not_found(uow, partner_id)
    check_until(until, local_today(uow))
    reason = _checked_reason(reason)
    cause = None if reason else paused_by(actor)
    same = (partner.pause_reason, partner.pause_cause, partner.on_leave_until) == (
        reason,
        cause,
        until,
    )
    if same and is_paused(partner, local_today(uow)):
        return Paused(partner, changed=False)  # `away` twice: staff are not told it again
    partner.paused_at = uow.clock.now()
    partner.pause_reason = reason
    partner.pause_cause = cause
    partner.on_leave_until = until
    await _cancel_resume(uow, partner.id)
    if until is not None:
        uow.session.add(
            Timer(
                kind=TimerKind.PARTNER_RESUME,
                lead_id=None,
                due_at=_resume_at(uow, until),
                payload={"partner_id": partner.id, "until": until.isoformat()},
                created_at=uow.clock.now(),
            )
        )
    # The feed says the reason given, or none: who paused is said by the line itself.
    await uow.outbox.staff(
        "partner_paused_by" if until else "partner_paused_by_open",
        partner=partner.name,
        by=actor.shown,
        until=until.isoformat() if until else None,
        reason=reason,
    )
    await uow.commit()
    return Paused(partner, changed=True)


@dataclass(frozen=True)
class Resumed:
    """What :func:`resume` did: ``was_paused`` False means nothing changed."""

    partner: Partner
    was_paused: bool


async def resume(uow: UnitOfWork, partner_id: str, actor: Actor) -> Resumed:
    """End ``partner_id``'s pause (also one after missed SLAs: the count starts again).

    A partner that is not paused (nor away) is left as it is — no feed line, its SLA-miss
    count kept — and the answer says so (``was_paused`` False); it is no error."""
    partner = await partner_or_not_found(uow, partner_id)
    if partner.paused_at is None and partner.on_leave_until is None:
        return Resumed(partner, was_paused=False)
    _clear(partner)
    await _cancel_resume(uow, partner.id)
    await uow.outbox.staff("partner_resumed", partner=partner.name, by=actor.shown)
    await uow.commit()
    return Resumed(partner, was_paused=True)


async def resume_when_due(uow: UnitOfWork, timer: Timer) -> str:
    """The PARTNER_RESUME timer fired: end the pause it was set for (not a newer one)."""
    partner = await uow.session.get(Partner, timer.payload.get("partner_id"))
    if partner is None or partner.paused_at is None:
        return "obsolete"
    ends = partner.on_leave_until.isoformat() if partner.on_leave_until else None
    if ends != timer.payload.get("until"):
        return "obsolete"  # paused again since, with another end
    _clear(partner)
    await uow.outbox.staff("partner_resumed", partner=partner.name, by=Actor.system().shown)
    return "fired"


def _clear(partner: Partner) -> None:
    partner.paused_at = None
    partner.pause_reason = None
    partner.pause_cause = None
    partner.on_leave_until = None
    partner.sla_misses = 0


async def _cancel_resume(uow: UnitOfWork, partner_id: str) -> None:
    """Forget a pending automatic resume of this partner (a new pause or a resume)."""
    await uow.session.execute(
        update(Timer)
        .where(
            Timer.kind == TimerKind.PARTNER_RESUME,
            Timer.done_at.is_(None),
            Timer.payload["partner_id"].as_string() == partner_id,
        )
        .values(done_at=uow.clock.now(), outcome="cancelled")
        .execution_options(synchronize_session=False)
    )
