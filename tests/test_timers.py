"""Durable timers: waves, claim SLA (reminder, recall, pause), follow-ups, restarts."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery.notices import MessageView, NoticeKind, TeaserView
from bot.delivery.sender import OutboxSender
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import ClaimOutcome, claim
from bot.leads.progress import report_progress
from bot.leads.scheduler import run_due_timers
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, Lead, LeadExclusion, LeadStatus, Offer, Partner, Platform
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep, lead_payload, store_lead
from tests.support.recording import RecordingTransport

WAVES = [{"size": 1, "minutes": 60}, {"size": 2, "minutes": 120}, {"size": 0, "minutes": 1440}]


def _settings(make_settings, **distribution: object) -> Settings:
    return make_settings(
        distribution={"waves": WAVES, **distribution},
        products=[{"id": "X200", "line": "X-series"}],
    )


async def _setup(runtime: Runtime, partners: int = 5) -> int:
    async with runtime.uow() as uow:
        for i in range(partners):
            # P0 is the least loaded, so it ranks first; the others follow by id.
            await add_partner(uow, f"P{i}", max_open_leads=10 if i == 0 else 5)
            await add_rep(uow, f"P{i}", f"rep{i}@p{i}.example")
        result = await receive(
            uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API)
        )
        await uow.commit()
    return result.lead_id


async def _offered_to(runtime: Runtime, lead_id: int) -> list[tuple[str, int]]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(Offer.partner_id, Offer.wave).where(Offer.lead_id == lead_id).order_by(Offer.id)
        )
        return [(p, w) for p, w in rows.all()]


async def _lead(runtime: Runtime, lead_id: int) -> Lead:
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None
        return lead


async def test_waves_widen_then_the_lead_becomes_unclaimed(
    make_settings, clock: ManualClock
) -> None:
    runtime = Runtime.create(_settings(make_settings), clock=clock)
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    lead_id = await _setup(runtime)
    await sender.flush()
    assert [w for _, w in await _offered_to(runtime, lead_id)] == [1]

    clock.advance(minutes=59)
    assert await run_due_timers(runtime) == 0
    clock.advance(minutes=2)
    assert await run_due_timers(runtime) == 1
    await sender.flush()
    offered = await _offered_to(runtime, lead_id)
    assert [w for _, w in offered] == [1, 2, 2]

    clock.advance(minutes=121)
    await run_due_timers(runtime)
    await sender.flush()
    offered = await _offered_to(runtime, lead_id)
    assert [w for _, w in offered] == [1, 2, 2, 3, 3]
    assert len({p for p, _ in offered}) == 5
    teasers = [d.address for d in transport.deliveries if isinstance(d.view, TeaserView)]
    assert sorted(teasers) == [f"partner:P{i}" for i in range(5)]

    clock.advance(days=1, minutes=1)
    await run_due_timers(runtime)
    lead = await _lead(runtime, lead_id)
    assert lead.status is LeadStatus.UNCLAIMED

    await sender.flush()
    staff = [d.view.event for d in transport.to("staff") if isinstance(d.view, MessageView)]
    assert staff.count("offered") == 3 and staff[-1] == "unclaimed"
    closed = [
        d.view.closed
        for d in transport.deliveries
        if isinstance(d.view, TeaserView) and d.view.closed
    ]
    assert closed == ["expired"] * 5
    await runtime.close()


async def test_restart_in_the_middle_of_a_wave(make_settings, clock: ManualClock) -> None:
    settings = _settings(make_settings)
    first = Runtime.create(settings, clock=clock)
    lead_id = await _setup(first)
    clock.advance(minutes=30)
    await run_due_timers(first)
    await first.close()  # the bot stops; the timer is a row, not a task

    clock.advance(minutes=45)  # ... and comes back after the wave should have expired
    second = Runtime.create(settings, clock=clock)
    assert await run_due_timers(second) == 1
    assert [w for _, w in await _offered_to(second, lead_id)] == [1, 2, 2]
    assert await run_due_timers(second) == 0  # fired once only
    await second.close()


async def _claim_first(runtime: Runtime, lead_id: int) -> tuple[int, str]:
    async with runtime.uow() as uow:
        offer = await uow.session.scalar(select(Offer).where(Offer.lead_id == lead_id))
        assert offer is not None
        rep_id = int(offer.partner_id[1:]) + 1
    async with runtime.uow() as uow:
        result = await claim(uow, offer.id, rep_id, Platform.CONSOLE)
    assert result.outcome is ClaimOutcome.WON
    return rep_id, offer.partner_id


async def test_claim_sla_reminder_then_recall_and_reoffer(
    make_settings, clock: ManualClock
) -> None:
    settings = _settings(make_settings, claim_sla_hours=24, reminder_before_recall_hours=4)
    runtime = Runtime.create(settings, clock=clock)
    lead_id = await _setup(runtime)
    rep_id, partner_id = await _claim_first(runtime, lead_id)
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.flush()

    clock.advance(hours=20, minutes=1)
    await run_due_timers(runtime)
    await sender.flush()
    reminders = [d for d in transport.to(f"rep:{rep_id}") if isinstance(d.view, MessageView)]
    assert [r.view.event for r in reminders] == ["claim_sla"]

    clock.advance(hours=4)
    await run_due_timers(runtime)
    lead = await _lead(runtime, lead_id)
    assert lead.status is LeadStatus.OFFERED and lead.offer_round == 2
    assert lead.owner_partner_id is None
    async with runtime.uow() as uow:
        excluded = (await uow.session.scalars(select(LeadExclusion.partner_id))).all()
        round_two = (
            await uow.session.scalars(select(Offer.partner_id).where(Offer.round == 2))
        ).all()
        partner = await uow.session.get(Partner, partner_id)
    assert excluded == [partner_id]
    assert partner_id not in round_two and len(round_two) == 1
    assert partner is not None and partner.sla_misses == 1
    await sender.flush()
    assert transport.to(f"rep:{rep_id}")[-1].view.event == "recalled_sla"  # type: ignore[union-attr]
    await runtime.close()


async def test_contacted_in_time_cancels_the_sla(make_settings, clock: ManualClock) -> None:
    runtime = Runtime.create(_settings(make_settings), clock=clock)
    lead_id = await _setup(runtime)
    rep_id, partner_id = await _claim_first(runtime, lead_id)
    clock.advance(hours=2)
    async with runtime.uow() as uow:
        await report_progress(
            uow,
            lead_id,
            Actor.rep(Channel.CONSOLE, rep_id, partner_id),
            Report(StatusAction.CONTACTED),
        )
    clock.advance(days=3)
    await run_due_timers(runtime)
    assert (await _lead(runtime, lead_id)).status is LeadStatus.CONTACTED
    await runtime.close()


async def test_repeated_sla_misses_pause_the_partner(make_settings, clock: ManualClock) -> None:
    settings = _settings(
        make_settings, claim_sla_hours=2, reminder_before_recall_hours=0, pause_after_sla_misses=2
    )
    # The same partner must get (and miss) both leads: without fairness, which would give
    # the second lead's first wave to a partner that has had less lately.
    settings = settings.model_copy(
        update={"matching": settings.matching.model_copy(update={"fairness": 0.0})}
    )
    runtime = Runtime.create(settings, clock=clock)
    for n in range(2):
        lead_id = await _setup(runtime, partners=5) if n == 0 else await store_lead(runtime, n)
        _rep_id, partner_id = await _claim_first(runtime, lead_id)
        assert partner_id == "P0"
        clock.advance(hours=2, minutes=1)
        await run_due_timers(runtime)
    async with runtime.uow() as uow:
        partner = await uow.session.get(Partner, "P0")
    assert partner is not None and partner.paused_at is not None and partner.sla_misses == 2
    transport = RecordingTransport()
    await OutboxSender(runtime, {Platform.CONSOLE: transport}).flush()
    events = [d.view.event for d in transport.to("staff") if isinstance(d.view, MessageView)]
    assert "partner_paused" in events
    # A paused partner gets no new leads.
    lead_id = await store_lead(runtime, 9)
    assert "P0" not in [p for p, _ in await _offered_to(runtime, lead_id)]
    await runtime.close()


async def test_follow_up_reminder_on_the_date_set(make_settings, clock: ManualClock) -> None:
    runtime = Runtime.create(_settings(make_settings), clock=clock)
    lead_id = await _setup(runtime)
    rep_id, partner_id = await _claim_first(runtime, lead_id)
    actor = Actor.rep(Channel.CONSOLE, rep_id, partner_id)
    async with runtime.uow() as uow:
        await report_progress(uow, lead_id, actor, Report(StatusAction.CONTACTED))
    day = clock.now().date() + timedelta(days=3)
    async with runtime.uow() as uow:
        await report_progress(uow, lead_id, actor, Report(StatusAction.FOLLOW_UP, follow_up_on=day))
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.flush()
    transport.deliveries.clear()

    clock.advance(days=2)
    await run_due_timers(runtime)
    await sender.flush()
    assert not [
        d
        for d in transport.deliveries
        if isinstance(d.view, MessageView) and d.view.kind is NoticeKind.REMINDER
    ]
    clock.advance(days=1, hours=3)  # past 09:00 Berlin on the day
    await run_due_timers(runtime)
    await sender.flush()
    reminders = [d for d in transport.to(f"rep:{rep_id}") if isinstance(d.view, MessageView)]
    assert [(r.view.event, r.view.params["date"]) for r in reminders] == [
        ("follow_up", day.isoformat())
    ]
    assert isinstance(day, date)
    await runtime.close()


async def test_two_schedulers_at_once_fire_a_due_timer_once(
    make_settings, clock: ManualClock
) -> None:
    """Two processes' schedulers (e.g. while leases change hands) race for the same timer:
    each timer is taken by a conditional UPDATE in the transaction that fires it."""
    settings = _settings(make_settings)
    one, two = Runtime.create(settings, clock=clock), Runtime.create(settings, clock=clock)
    try:
        lead_id = await _setup(one)
        clock.advance(minutes=61)  # the first wave's expiry is due
        fired = await asyncio.gather(*(run_due_timers(r) for r in (one, two, one, two)))
        assert sum(fired) == 1
        assert [w for _, w in await _offered_to(one, lead_id)] == [1, 2, 2]  # widened once
    finally:
        await one.close()
        await two.close()
