"""What a pause means for matching, claim links and queued teasers.

A pause's ``until`` is its last day in ``[distribution] timezone`` (here New York, where a
day ends four hours after UTC's in March), and a paused partner gets no teasers — also
none queued before the pause. The resume timer is never run here: correctness must not
depend on it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.delivery.notices import NoticeKind, TeaserView
from bot.delivery.resolve import preload, resolve
from bot.delivery.sender import OutboxSender
from bot.directory.availability import pause
from bot.handlers.email.links import Purpose, new_link
from bot.handlers.email.targets import ClaimTarget, Refusal, load
from bot.leads.declines import DeclineOutcome, decline
from bot.models import (
    Channel,
    Lead,
    LeadStatus,
    Offer,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Platform,
    Rep,
)
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.recording import RecordingTransport

STAFF = Actor.staff(Channel.CONSOLE, "s1", "staff")
LAST_DAY = date(2026, 3, 10)
LAST_EVENING = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 2026-03-10 21:00 in New York
NEXT_MORNING = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)  # 2026-03-11 01:00 in New York


@pytest.fixture
def new_york(make_settings: Any) -> Any:
    return make_settings(
        distribution={"waves": [{"size": 0, "minutes": 4320}], "timezone": "America/New_York"},
        products=[{"id": "X200", "line": "X-series"}],
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))


async def _directory(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        for pid in ("P1", "P2"):
            await add_partner(uow, pid)
            await add_rep(uow, pid, f"rep@{pid.lower()}.example")
        await uow.commit()


async def _offers(runtime: Runtime, lead_id: int) -> dict[str, Offer]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(select(Offer).where(Offer.lead_id == lead_id))
        return {o.partner_id: o for o in rows}


async def _pause_p1(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await pause(uow, "P1", STAFF, LAST_DAY, "trade fair")


async def test_a_pause_lasts_through_its_last_local_day(new_york: Any, clock: ManualClock) -> None:
    runtime = Runtime.create(new_york, clock=clock)
    await _directory(runtime)
    await _pause_p1(runtime)

    clock.set(LAST_EVENING)  # already 2026-03-11 in UTC
    assert set(await _offers(runtime, await store_lead(runtime, 1))) == {"P2"}

    clock.set(NEXT_MORNING)  # the pause is over, though its timer has not run
    assert set(await _offers(runtime, await store_lead(runtime, 2))) == {"P1", "P2"}
    await runtime.close()


async def test_a_claim_link_is_refused_through_the_last_local_day(
    new_york: Any, clock: ManualClock
) -> None:
    runtime = Runtime.create(new_york, clock=clock)
    await _directory(runtime)
    offer = (await _offers(runtime, await store_lead(runtime, 1)))["P1"]  # offered before the pause
    await _pause_p1(runtime)
    link = new_link(Purpose.CLAIM, offer.id, "P1", clock.now() + timedelta(days=7))

    clock.set(LAST_EVENING)
    with pytest.raises(Refusal) as refused:
        await load(runtime, link)
    assert refused.value.key == "claim.paused"

    clock.set(NEXT_MORNING)
    assert isinstance(await load(runtime, link), ClaimTarget)
    await runtime.close()


async def test_teasers_queued_before_a_pause_are_not_sent(
    new_york: Any, clock: ManualClock
) -> None:
    runtime = Runtime.create(new_york, clock=clock)
    await _directory(runtime)
    lead_id = await store_lead(runtime, 1)  # teasers to P1 and P2 queued, not sent yet
    await _pause_p1(runtime)

    transport = RecordingTransport()
    await OutboxSender(runtime, {Platform.CONSOLE: transport}).flush()
    assert [d.address for d in transport.deliveries if isinstance(d.view, TeaserView)] == [
        "partner:P2"
    ]
    async with runtime.uow() as uow:
        teaser_to_p1 = await uow.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == NoticeKind.TEASER.value, OutboxMessage.address == "partner:P1"
            )
        )
    assert teaser_to_p1 is not None and teaser_to_p1.status is OutboxStatus.SKIPPED
    offers = await _offers(runtime, lead_id)
    assert offers["P1"].status is OfferStatus.OPEN  # a pause is no decline
    await runtime.close()


async def test_checking_for_pauses_reads_nothing_per_teaser(
    new_york: Any, clock: ManualClock
) -> None:
    """The sender's batch: offers and partners are read once for all rows; resolving each
    teaser, pause check included, asks the database nothing more."""
    runtime = Runtime.create(new_york, clock=clock)
    await _directory(runtime)
    for n in range(3):
        await store_lead(runtime, n)
    await _pause_p1(runtime)
    statements: list[str] = []

    def _count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    async with runtime.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.TEASER.value)
            )
        ).all()
        event.listen(runtime.engine.sync_engine, "before_cursor_execute", _count)
        await preload(uow.session, rows)
        views = [await resolve(uow.session, row, new_york, clock.now()) for row in rows]
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", _count)
    assert len(rows) == 6 and len(statements) == 2  # offers, partners
    sent_to = sorted(row.address for row, view in zip(rows, views, strict=True) if view)
    assert sent_to == ["partner:P2"] * 3
    await runtime.close()


async def test_a_lead_moves_on_when_only_paused_partners_are_left_to_claim(
    new_york: Any, clock: ManualClock
) -> None:
    """P2 declines; P1 still has an open offer but was paused since: nobody who could claim
    is left, so the lead does not wait for its wave timer (the only wave: unclaimed)."""
    runtime = Runtime.create(new_york, clock=clock)
    await _directory(runtime)
    lead_id = await store_lead(runtime, 1)
    offers = await _offers(runtime, lead_id)
    await _pause_p1(runtime)
    async with runtime.uow() as uow:
        rep = await uow.session.scalar(select(Rep).where(Rep.partner_id == "P2"))
        assert rep is not None
        declined = await decline(uow, offers["P2"].id, rep.id, "too_far", None, Platform.CONSOLE)
    assert declined.outcome is DeclineOutcome.DECLINED
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None and lead.status is LeadStatus.UNCLAIMED
    await runtime.close()
