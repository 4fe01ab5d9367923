"""A Slack Claim press is stored before Slack gets its 200, and decided and answered from there;
every other press or command that changes a lead is decided before its 200.

So an acknowledged press can never be lost to a crash between the ack and the claim (the
crash itself is tests/test_press_crash.py): when Slack has its 200, the press is either in
the inbox (``pending_presses``) or already decided. When storing it takes longer than two
seconds (here on SQLite: another connection holds the database's write lock), Slack gets
its 200 at that deadline, and the press is decided, and answered, once the database answers.

A status button, a staff button and ``/leads meeting 12`` are pressed while another
connection holds the lead for a second: the lead has changed by the time Slack gets its 200.
Held longer than the 2 s deadline, the press gets its 200 at the deadline and is applied
once the lead is free.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.config import Settings
from bot.db import READ_ONLY, create_engine_async
from bot.models import Lead, LeadStatus, Offer, PendingPress
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack.signing import DriverResponse
from tests.support.drivers.slack import STAFF_CHANNEL, STAFF_USER
from tests.support.slack_world import PartnerSpec, SlackWorld, slack_settings, slack_world

REPS = [PartnerSpec("P01", "C0001", "U0001", language="en")]
HANG_GUARD_SECONDS = 5.0  # only guards against a hang: Slack itself gives up after 3 s
LOCK_SECONDS = 0.5
"""Another connection holds the lead this long while the press or command comes in. Well
under the 2 s ack deadline: with 1 s, a full test run on two busy cores now and then took
the rest of the 2 s to get the command to the lock and back, and the ack went out first
(by design, docs/slack.md)."""
pytestmark = pytest.mark.serial
"""Alone after the parallel part of ``make test``: what these tests assert is timing — a
change applied before Slack's 2 s deadline — and on two cores shared with three test
workers the deadline now and then passed first (by design, the ack then goes out)."""
STALL_SECONDS = 2.6  # longer than the 2 s deadline, shorter than the statement timeout (3 s)


@asynccontextmanager
async def lead_locked(settings: Settings, lead_id: int) -> AsyncIterator[None]:
    """Another connection holds the lead's row (on SQLite: the database's write lock).

    It waits for the lock asynchronously: a blocking wait would stop the bot's own event
    loop, and with it a transaction of the bot that holds the lock — a deadlock.
    """
    engine = create_engine_async(settings.database, pooled=False)
    try:
        async with engine.connect() as connection:
            await connection.execute(select(Lead.id).where(Lead.id == lead_id).with_for_update())
            yield
            await connection.rollback()
    finally:
        await engine.dispose()


async def inbox_and_status(settings: Settings, lead_id: int) -> tuple[int, LeadStatus | None]:
    """How many presses the inbox holds, and the lead's status."""
    engine = create_engine_async(settings.database, pooled=False)
    try:
        async with engine.connect() as connection:
            pending = await connection.scalar(select(func.count()).select_from(PendingPress))
            status = await connection.scalar(select(Lead.status).where(Lead.id == lead_id))
    finally:
        await engine.dispose()
    return int(pending or 0), status


async def test_an_acknowledged_press_is_stored_then_decided_and_answered(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        press = await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        assert press.status == 200 and press.body == ""
        # What the 200 promises: the press is in the database (or decided already).
        pending, status = await inbox_and_status(settings, lead_id)
        assert pending == 1 or status is LeadStatus.CLAIMED
        await slack_emulator.wait_for_async(
            lambda: any("is yours" in a.text for a in slack_emulator.ephemerals("C0001", "U0001"))
        )
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        for _ in range(50):  # the answered press leaves the inbox
            if (await inbox_and_status(settings, lead_id))[0] == 0:
                break
            await asyncio.sleep(0.1)
        assert await inbox_and_status(settings, lead_id) == (0, LeadStatus.CLAIMED)


async def test_a_press_decided_late_is_acknowledged_at_the_deadline_and_answered(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.settled()
        async with lead_locked(settings, lead_id):
            press = await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        # Slack got its 200 in time (no failure shown to the rep), while the lead was locked.
        assert press.status == 200 and press.elapsed < HANG_GUARD_SECONDS
        # The decision goes on once the database answers, and the rep hears of it.
        await slack_emulator.wait_for_async(
            lambda: any("is yours" in a.text for a in slack_emulator.ephemerals("C0001", "U0001"))
        )
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def test_a_press_left_stored_by_a_stopped_process_is_decided_and_answered(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    """What a process that died after the ack leaves behind: a stored press whose lease
    has run out. The running bot takes it up, decides it and answers the presser."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        trigger, response_url = slack_emulator.new_interaction("U0001", "C0001", None)
        now = datetime.now(UTC)
        engine = create_engine_async(settings.database, pooled=False)
        try:
            async with engine.begin() as connection:
                offer_id = await connection.scalar(select(Offer.id).where(Offer.lead_id == lead_id))
                await connection.execute(
                    insert(PendingPress).values(
                        key=f"slack:trigger:{trigger}",
                        platform="slack",
                        user_id="U0001",
                        action="lead_claim",
                        value=str(offer_id),
                        reply_to=response_url,
                        received_at=now - timedelta(seconds=30),
                        lease_until=now - timedelta(seconds=1),
                        attempts=1,
                    )
                )
        finally:
            await engine.dispose()
        [told] = await slack_emulator.wait_for_async(
            lambda: [
                a for a in slack_emulator.ephemerals("C0001", "U0001") if "is yours" in a.text
            ],
            10,
        )
        assert told.via == "response_url"
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        for _ in range(50):
            if (await inbox_and_status(settings, lead_id))[0] == 0:
                break
            await asyncio.sleep(0.1)
        assert (await inbox_and_status(settings, lead_id))[0] == 0


async def status_now(settings: Settings, lead_id: int) -> LeadStatus | None:
    """The lead's status as committed, read without waiting for any writer's lock."""
    engine = create_engine_async(settings.database, pooled=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            return await connection.scalar(select(Lead.status).where(Lead.id == lead_id))
    finally:
        await engine.dispose()


async def acknowledged_while_locked(
    settings: Settings,
    lead_id: int,
    act: Callable[[], Awaitable[DriverResponse]],
    seconds: float = LOCK_SECONDS,
) -> tuple[DriverResponse, LeadStatus | None]:
    """Run ``act`` (a press, a command) while another connection holds the lead for
    ``seconds``; its HTTP answer, and the lead's status the moment that answer came."""
    locked = asyncio.Event()

    async def hold() -> None:
        async with lead_locked(settings, lead_id):
            locked.set()
            await asyncio.sleep(seconds)

    holder = asyncio.create_task(hold())
    await locked.wait()
    try:
        response = await act()
        status = await status_now(settings, lead_id)
    finally:
        await holder
    return response, status


async def claimed_with_card(world: SlackWorld, slack_emulator: SlackEmulator) -> tuple[int, str]:
    """A lead claimed by U0001 whose card is in their DM, everything sent: (lead id, DM)."""
    lead_id = await world.post_lead()
    await world.teaser("C0001")
    await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
    dm = slack_emulator.dm_channel("U0001")
    await slack_emulator.wait_for_async(
        lambda: any(m.buttons() for m in slack_emulator.bot_messages(dm))
    )
    assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
    await world.settled()
    return lead_id, dm


REPORTED_AT_ONCE: dict[
    str, tuple[Callable[[SlackWorld, int, str], Awaitable[DriverResponse]], LeadStatus]
] = {
    "button": (
        lambda world, _lead_id, dm: world.driver.press_button(
            "lead_contacted", user="U0001", channel=dm
        ),
        LeadStatus.CONTACTED,
    ),
    "typed": (
        lambda world, lead_id, _dm: world.driver.slash_command(
            "/leads", f"meeting {lead_id}", user="U0001"
        ),
        LeadStatus.MEETING,
    ),
}
"""A step reported at once, by the card's button (Contacted) or typed (``/leads meeting``)."""


@pytest.mark.parametrize("how", sorted(REPORTED_AT_ONCE))
async def test_a_status_report_is_applied_when_slack_gets_its_200(
    make_settings, slack_emulator: SlackEmulator, how: str
) -> None:
    """Contacted, Meeting and Proposal change the lead at once: decided before the ack, so
    a crash after the ack cannot lose the report (not acknowledged first, as before)."""
    report, applied = REPORTED_AT_ONCE[how]
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id, dm = await claimed_with_card(world, slack_emulator)
        answer, status = await acknowledged_while_locked(
            settings, lead_id, lambda: report(world, lead_id, dm)
        )
        assert answer.status == 200 and answer.elapsed < HANG_GUARD_SECONDS
        assert status is applied


async def test_a_staff_button_is_applied_when_slack_gets_its_200(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    """Release (with consent) under a held lead's notice in the staff channel."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead(
            consent={"partner_contact": False, "given_at": "2026-03-01T10:00:00+01:00"}
        )
        await slack_emulator.wait_for_async(
            lambda: any(
                "staff_release_consent" in [b["action_id"] for b in m.buttons()]
                for m in slack_emulator.bot_messages(STAFF_CHANNEL)
            )
        )
        assert (await world.lead(lead_id)).status is LeadStatus.HELD
        await world.settled()
        press, status = await acknowledged_while_locked(
            settings,
            lead_id,
            lambda: world.driver.press_button(
                "staff_release_consent",
                user=STAFF_USER,
                channel=STAFF_CHANNEL,
                value=str(lead_id),
            ),
        )
        assert press.status == 200 and press.elapsed < HANG_GUARD_SECONDS
        assert status is LeadStatus.OFFERED


async def test_a_status_button_stalled_past_the_deadline_is_acknowledged_then_applied(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    """The database holds the report up for longer than Slack waits: Slack gets its 200 at
    the 2 s deadline (no error shown to the rep), and the report is applied right after."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id, dm = await claimed_with_card(world, slack_emulator)
        press, status = await acknowledged_while_locked(
            settings,
            lead_id,
            lambda: world.driver.press_button("lead_proposal", user="U0001", channel=dm),
            STALL_SECONDS,
        )
        assert press.status == 200 and 1.5 < press.elapsed < STALL_SECONDS
        assert status is LeadStatus.CLAIMED  # not yet: the lead was still locked
        await slack_emulator.wait_for_async(
            lambda: any(
                "Status: *proposal*" in m.all_text for m in slack_emulator.bot_messages(dm)
            ),
            10,
        )
        assert (await world.lead(lead_id)).status is LeadStatus.PROPOSAL
