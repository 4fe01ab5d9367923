"""Durable timers: due rows in ``timers`` become service calls.

Timers are database rows, so a restart loses none: the loop simply finds them due. Each
timer is taken with a conditional UPDATE (a short lock), handled and marked done in one
transaction, so two processes never fire the same timer and a crash mid-way retries it.
Only the holder of the ``scheduler`` lease (a database row) runs the loop at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from bot.actors import Actor
from bot.coordination import Coordination, run_while_leased
from bot.delivery.notices import NoticeKind
from bot.directory.availability import resume_when_due
from bot.leads.distribution import expire_wave
from bot.leads.locks import lead_for_update
from bot.leads.progress import recall
from bot.leads.questions import fire_question_expiry
from bot.models import Lead, LeadStatus, Timer, TimerKind
from bot.platform import claim_platform
from bot.reports.digest import ensure_digest_timer, fire_digest
from bot.runtime import Runtime
from bot.supervisor import PASS_SECONDS
from bot.uow import UnitOfWork

log = logging.getLogger(__name__)

LOCK_SECONDS = 120
LEASE_NAME = "scheduler"


async def _fire(
    uow: UnitOfWork, timer: Timer, lead: Lead | None, coordination: Coordination
) -> str:
    """Fire ``timer``; ``lead`` is its lead, read and locked by the caller (None: gone)."""
    if timer.kind is TimerKind.QUESTION_EXPIRY:
        return await fire_question_expiry(uow, coordination, timer)
    if timer.kind is TimerKind.DIGEST:
        return await fire_digest(uow, timer)
    if timer.kind is TimerKind.PARTNER_RESUME:
        return await resume_when_due(uow, timer)
    if lead is None:
        return "obsolete"
    if timer.kind is TimerKind.WAVE_EXPIRY:
        return await expire_wave(uow, lead, int(timer.payload["round"]), int(timer.payload["wave"]))
    if timer.kind in (TimerKind.CLAIM_SLA_REMINDER, TimerKind.CLAIM_SLA_RECALL):
        claimed_at = datetime.fromisoformat(timer.payload["claimed_at"])
        # The deadline is the partner's, from its claim: a lead passed to a colleague when
        # its rep left the partner (bot/directory/departures.py) keeps it.
        still_waiting = lead.status is LeadStatus.CLAIMED and lead.claimed_at == claimed_at
        if not still_waiting:
            return "obsolete"
        if timer.kind is TimerKind.CLAIM_SLA_REMINDER:
            assert lead.owner_rep_id is not None
            recall_at = claimed_at + timedelta(hours=uow.settings.distribution.claim_sla_hours)
            await uow.outbox.rep(
                lead.owner_rep_id,
                NoticeKind.REMINDER,
                "claim_sla",
                lead_id=lead.id,
                platform=claim_platform(lead.claimed_via),
                or_elsewhere=True,
                recall_at=recall_at.isoformat(),
            )
            await uow.outbox.staff("sla_reminder", lead_id=lead.id)
            return "fired"
        await recall(uow, lead, Actor.system(), "sla")
        return "fired"
    if timer.kind is TimerKind.FOLLOW_UP:
        if lead.follow_up_on is None or lead.follow_up_on.isoformat() != timer.payload.get("date"):
            return "obsolete"
        if lead.owner_rep_id is None:
            return "obsolete"
        await uow.outbox.rep(
            lead.owner_rep_id,
            NoticeKind.REMINDER,
            "follow_up",
            lead_id=lead.id,
            platform=claim_platform(lead.claimed_via),
            or_elsewhere=True,
            date=timer.payload["date"],
        )
        return "fired"
    return "obsolete"


async def run_due_timers(runtime: Runtime, limit: int = 100) -> int:
    """Fire every timer that is due now; return how many were handled.

    Each pass first makes sure the next weekly digest has its timer (when one is set) and
    forgets seen platform deliveries older than two days (at most hourly, bot/seen.py).
    """
    async with runtime.uow() as uow:
        await ensure_digest_timer(uow)
    await runtime.seen.purge(runtime)  # housekeeping: old seen deliveries (hourly)
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        due = (
            await uow.session.execute(
                select(Timer.id, Timer.lead_id)
                .where(
                    Timer.done_at.is_(None),
                    Timer.due_at <= now,
                    or_(Timer.locked_until.is_(None), Timer.locked_until < now),
                )
                .order_by(Timer.due_at, Timer.id)
                .limit(limit)
            )
        ).all()
    handled = 0
    for timer_id, lead_id in due:
        async with runtime.uow() as uow:
            lead = None
            if lead_id is not None:
                # The lead's row before the timer's: the order a claim takes them in (it
                # cancels the lead's timers), so the two cannot deadlock (bot/leads/locks.py).
                lead = await lead_for_update(uow.session, lead_id)
            taken = await uow.session.scalar(
                update(Timer)
                .where(
                    Timer.id == timer_id,
                    Timer.done_at.is_(None),
                    or_(Timer.locked_until.is_(None), Timer.locked_until < now),
                )
                .values(locked_until=now + timedelta(seconds=LOCK_SECONDS))
                .returning(Timer.id)
                .execution_options(synchronize_session=False)
            )
            if taken is None:
                continue
            timer = await uow.session.get(Timer, timer_id, populate_existing=True)
            assert timer is not None
            try:
                outcome = await _fire(uow, timer, lead, runtime.coordination)
            except Exception:
                log.exception(
                    "timer %s (%s) failed; it will be retried", timer.id, timer.kind.value
                )
                await uow.rollback()
                continue
            timer.done_at = runtime.clock.now()
            timer.outcome = outcome
            await uow.commit()
            handled += 1
    return handled


async def scheduler_loop(runtime: Runtime, interval: float = 5.0) -> None:
    """Run timers forever; with several processes only the lease holder does the work.

    The lease is a database row (Redis or not), so a flapping Redis can never make two
    runners; each timer is still taken with its own conditional UPDATE, so even two
    runners would fire it once. A clean stop gives the lease up for the next process.
    """

    async def one_pass() -> None:
        await run_due_timers(runtime)

    await run_while_leased(
        runtime.coordination,
        LEASE_NAME,
        interval * 3,
        interval,
        one_pass,
        logger=log,
        pass_seconds=PASS_SECONDS,
    )
