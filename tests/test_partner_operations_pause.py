"""Pausing partners from the chats: staff pause and resume a partner (until a date, or
until resumed), a partner's managers mark their own company away and back, and who may do
which is checked — on the console, Slack and Telegram. Refused input (a date too far
ahead, a control character) is an answer, and the session goes on.

Assigning a lead: tests/test_partner_operations_assign.py; the staff feed's lines about
both: tests/test_partner_operations_feed.py; the CLI: tests/test_partner_operations_cli.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.models import OfferStatus, Partner
from bot.runtime import Runtime
from tests.support.cli import leadbot
from tests.support.console import Console
from tests.support.factories import add_rep, store_lead
from tests.support.partner_ops import directory as _directory
from tests.support.partner_ops import offered_to as _offered_to
from tests.support.partner_ops import ops_settings_for
from tests.support.partner_ops import pause_state as _pause_state
from tests.support.slack_world import PartnerSpec, slack_settings, slack_world
from tests.support.telegram_world import telegram_settings, telegram_world


@pytest.fixture
def ops_settings(make_settings: Any) -> Any:
    return ops_settings_for(make_settings)


async def test_staff_pause_until_a_date_ends_by_itself_and_reps_may_not(
    ops_settings: Any, clock: ManualClock
) -> None:
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    console = Console(runtime)
    before = await store_lead(runtime, 1)
    assert set(await _offered_to(runtime, before)) == {"P1", "P2"}

    await console("as sales@p1.example")
    assert "Only the manufacturer's staff may do that." in await console("pause P2")
    assert "Only your company's managers may do that." in await console("away")
    await console("as boss@p1.example")
    assert "Only the manufacturer's staff may do that." in await console("pause P2 until +3d")
    await console("as staff")
    assert "There is no partner P9." in await console("pause P9")
    answer = await console("pause P2 until +2d holiday")
    assert "Partner Partner P2 is paused through" in answer
    during = await store_lead(runtime, 2)
    assert set(await _offered_to(runtime, during)) == {"P1"}  # no teaser for P2
    assert (await _offered_to(runtime, before))["P2"] is OfferStatus.OPEN  # open ones stay
    assert "partner is paused until" in await console(f"explain {during} P2")  # staff: en

    clock.advance(days=3)  # past the last day: the timer resumes P2 and staff hear of it
    feed = await console("leads")
    after = await store_lead(runtime, 3)
    assert set(await _offered_to(runtime, after)) == {"P1", "P2"}
    await console("as staff")
    feed += await console("more")
    assert "Partner Partner P2 gets teasers again (resumed by leadbot)." in feed
    async with runtime.uow() as uow:
        partner = await uow.session.get(Partner, "P2")
        assert partner is not None and partner.paused_at is None
    await runtime.close()


async def test_managers_mark_their_own_partner_away_and_back(
    ops_settings: Any, clock: ManualClock
) -> None:
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    console = Console(runtime)
    await console("as boss@p1.example")
    assert "Your company is marked away through" in await console("away until +7d trade fair")
    lead = await store_lead(runtime, 1)
    assert set(await _offered_to(runtime, lead)) == {"P2"}
    assert "Welcome back" in await console("back")
    async with runtime.uow() as uow:
        p1 = await uow.session.get(Partner, "P1")
        p2 = await uow.session.get(Partner, "P2")
        assert p1 is not None and p1.paused_at is None
        assert p2 is not None and p2.paused_at is None  # only their own partner
    assert set(await _offered_to(runtime, await store_lead(runtime, 2))) == {"P1", "P2"}
    await runtime.close()


async def test_resuming_a_partner_that_is_not_paused_says_so_and_changes_nothing(
    ops_settings: Any, clock: ManualClock, database_url: str
) -> None:
    """``partners resume P1`` / ``resume P1`` / ``back`` for a partner that is not paused
    said "… gets teasers again" (and reset its SLA-miss count): now it says it was not
    paused, exits 0, writes no feed line and keeps the count."""
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    async with runtime.uow() as uow:
        partner = await uow.session.get(Partner, "P1")
        assert partner is not None
        partner.sla_misses = 2
        await uow.commit()

    resumed = await asyncio.to_thread(leadbot, database_url, "partners", "resume", "P1")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.output == "Partner P1 (Partner P1) was not paused: nothing changed.\n"

    console = Console(runtime)
    answer = await console("resume P1")
    assert answer == "✔ Partner Partner P1 was not paused: nothing changed.", answer
    await console("as boss@p1.example")
    assert await console("back") == "✔ Your company was not marked away: nothing changed."
    feed = await console("as staff")
    assert "gets teasers again" not in feed and "resumed by" not in feed, feed
    async with runtime.uow() as uow:
        partner = await uow.session.get(Partner, "P1")
        assert partner is not None and partner.sla_misses == 2  # kept
        assert partner.paused_at is None

    await console("pause P1")  # and a paused one is resumed as before
    assert "Partner Partner P1 gets teasers again." in await console("resume P1")
    assert "Partner Partner P1 was not paused" in await console("resume P1")
    again = await asyncio.to_thread(leadbot, database_url, "partners", "resume", "P1")
    assert "was not paused: nothing changed." in again.output and again.exit_code == 0
    await runtime.close()


async def test_slack_and_telegram_staff_and_managers(
    make_settings: Any, slack_emulator: Any, telegram_emulator: Any
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    partners = [PartnerSpec("P1", "C0001", "U0001", language="en")]
    async with slack_world(settings, slack_emulator, partners) as world:
        async with world.bot.runtime.uow() as uow:
            await add_rep(uow, "P1", "chief@p1.example", slack_user_id="U0009", role="manager")
            await uow.commit()
        slack_emulator.add_user("U0009")
        await world.driver.slash_command("/leads", "away until +3d", user="U0001")
        await world.driver.slash_command("/leads", "away until +3d", user="U0009")
        sales = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals(user="U0001"))
        chief = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals(user="U0009"))
        assert "managers" in sales[0].all_text
        assert "abwesend" in chief[0].all_text or "away" in chief[0].all_text
        async with world.bot.runtime.uow() as uow:
            p1 = await uow.session.get(Partner, "P1")
            assert p1 is not None and p1.paused_at is not None

    staff_user = 9_001
    tg_settings = telegram_settings(
        make_settings,
        telegram_emulator,
        staff={"telegram_users": [staff_user], "language": "en"},
    )
    async with telegram_world(tg_settings, telegram_emulator, partners=1) as tg_world:
        boss = tg_world.driver.user(staff_user, "Stefanie", language_code="en")
        await tg_world.driver.command(boss, "pause", "P0 until +2d")
        await tg_world.private(staff_user, lambda m: "paused through" in m.plain_text)
        await tg_world.driver.command(tg_world.users[0], "pause", "P0")
        await tg_world.private(tg_world.users[0], lambda m: "⚠" in m.plain_text)
        await tg_world.driver.command(boss, "resume", "P0")
        await tg_world.private(staff_user, lambda m: "gets teasers again" in m.plain_text)


async def test_console_pause_and_away_refusals_keep_the_session(
    ops_settings: Any, clock: ManualClock
) -> None:
    """``pause P until 9999-12-31`` and a NUL in the reason ended the console session (an
    OverflowError; PostgreSQL refusing the NUL): now they are answers, and it goes on.
    (The CLI refuses a bad ``--reason`` as a usage error: test_cli_pause_refuses_….)"""
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    console = Console(runtime)
    await console("as staff")
    assert "9999-12-31 is more than a year ahead." in await console("pause P1 until 9999-12-31")
    for typed in ("pause P1 holiday\x00forged", "pause P1 until +2d \x1b[2J", "resume P1\x00"):
        assert "control character" in await console(typed)  # refused as typed (grammar)
    await console("as boss@p1.example")
    assert "is more than a year ahead." in await console("away until +400d trade fair")
    assert "control character" in await console("away bye\x00")
    assert await _pause_state(runtime, "P1") == (None, None, None)
    assert "Your company is marked away through" in await console("away until +366d fair")
    await runtime.close()


async def test_pausing_again_in_just_the_same_way_says_so(
    ops_settings: Any, clock: ManualClock, database_url: str
) -> None:
    """A second identical ``pause`` / ``away`` / ``partners pause`` changed nothing and
    told staff nothing, but answered as if it had paused: now it says "already"."""
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    console = Console(runtime)
    await console("as staff")
    first = await console("pause P1")
    assert first.startswith("✔ Partner Partner P1 is paused until resumed: no teasers.")
    assert "paused by staff" in first  # the staff feed's line
    assert await console("pause P1") == (  # exactly: no second feed line
        "✔ Partner Partner P1 was already paused until resumed: nothing changed."
    )
    assert "already" not in await console("pause P1 until +3d fair")  # another end: a change
    assert "was already paused through" in await console("pause P1 until +3d fair")

    first = await asyncio.to_thread(leadbot, database_url, "partners", "pause", "P2")
    assert (
        first.output
        == "Partner P2 (Partner P2) paused until `leadbot partners resume`: no teasers meanwhile.\n"
    )
    again = await asyncio.to_thread(leadbot, database_url, "partners", "pause", "P2")
    assert again.exit_code == 0, again.output
    assert again.output == (
        "Partner P2 (Partner P2) was already paused until `leadbot partners resume`: "
        "nothing changed.\n"
    )

    await console("as boss@p1.example")
    await console("back")
    assert "marked away through" in await console("away until +7d")
    assert "was already marked away through" in await console("away until +7d")
    await runtime.close()
