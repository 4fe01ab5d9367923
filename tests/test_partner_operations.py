"""Partner operations: pause/resume by staff, away/back by a partner's managers, manual
assignment — from the chats (the console, Slack, Telegram), with who-may-do-what checked,
and the CLI where a test sets it beside the console. The CLI alone:
tests/test_partner_operations_cli.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.handlers.console.session import ConsoleSession
from bot.models import Offer, OfferStatus, Partner
from bot.runtime import Runtime
from tests.support.cli import leadbot
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.partner_ops import directory as _directory
from tests.support.partner_ops import offered_to as _offered_to
from tests.support.partner_ops import ops_settings_for
from tests.support.partner_ops import pause_state as _pause_state
from tests.support.slack_world import PartnerSpec, slack_settings, slack_world
from tests.support.telegram_world import telegram_settings, telegram_world


@pytest.fixture
def ops_settings(make_settings: Any) -> Any:
    return ops_settings_for(make_settings)


class Console:
    """The console, in-process: type a line, read what it printed."""

    def __init__(self, runtime: Runtime) -> None:
        self.lines: list[str] = []
        self.session = ConsoleSession(runtime, out=self.lines.append)

    async def __call__(self, line: str) -> str:
        self.lines.clear()
        await self.session.handle_line(line)
        return "\n".join(self.lines)


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


async def test_an_assigned_lead_can_be_claimed_only_by_that_partner(
    ops_settings: Any, clock: ManualClock
) -> None:
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    console = Console(runtime)
    lead = await store_lead(runtime, 1)  # offered to P1 and P2
    async with runtime.uow() as uow:
        offers = {o.partner_id: o.id for o in await uow.session.scalars(select(Offer))}
    await console("as staff")
    answer = await console(f"assign {lead} P2")
    assert f"Lead #{lead} is offered to Partner P2 alone." in answer
    statuses = await _offered_to(runtime, lead)
    assert statuses["P1"] is OfferStatus.CLOSED  # withdrawn
    await console("as sales@p1.example")
    assert "no longer available" in await console(f"claim {offers['P1']}")
    async with runtime.uow() as uow:
        assigned = await uow.session.scalar(
            select(Offer).where(Offer.partner_id == "P2", Offer.status == OfferStatus.OPEN)
        )
        assert assigned is not None
    await console("as boss@p2.example")
    assert f"Lead #{lead} is yours" in await console(f"claim {assigned.id}")
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


async def test_a_staff_chat_hears_the_assign_warnings_in_its_language(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        products=[{"id": "X200", "line": "X-series"}],
        staff={"language": "de"},
    )
    runtime = Runtime.create(settings, clock=clock)
    await _directory(runtime)
    nowhere = await store_lead(runtime, 1, **{"company.address.country": "CH"})  # nobody serves CH
    console = Console(runtime)
    await console("as staff")
    answer = await console(f"assign {nowhere} P2")
    assert f"Lead #{nowhere} wird nur Partner P2 angeboten — Hinweis:" in answer
    assert "Partner bedient sein eigenes Land" in answer or "außerhalb der Gebiete" in answer
    assert "lead in CH" not in answer  # not the English detail the CLI prints
    assert await _offered_to(runtime, nowhere) == {"P2": OfferStatus.OPEN}
    await runtime.close()


@pytest.mark.parametrize(
    ("language", "says"),
    [
        (
            "de",
            [
                "Lead #{lead} von Mitarbeitenden an Partner P2 zugewiesen.",
                "Partner Partner P2 von Mitarbeitenden pausiert, bis er fortgesetzt wird."
                " Grund: –.",
                "Partner Partner P2 bekommt wieder Angebote (fortgesetzt von Mitarbeitenden).",
                "Partner Partner P1 von Boss P1 bis einschließlich {until} pausiert. Grund: Messe.",
            ],
        ),
        (
            "en",
            [
                "Lead #{lead} assigned to Partner P2 by staff.",
                "Partner Partner P2 paused by staff until resumed. Reason: –.",
                "Partner Partner P2 gets teasers again (resumed by staff).",
                "Partner Partner P1 paused by Boss P1 through {until}. Reason: trade fair.",
            ],
        ),
    ],
)
async def test_the_staff_feed_says_who_acted_in_the_reader_s_language(
    make_settings: Any, clock: ManualClock, language: str, says: list[str]
) -> None:
    """Staff known by no name are "Mitarbeitenden" / "staff" in the feed, not the English
    placeholder "staff" in German lines; a rep (a manager marking their partner away) is
    named. A pause without a reason shows none, not the stored "paused by staff"."""
    settings = make_settings(
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        products=[{"id": "X200", "line": "X-series"}],
        staff={"language": language},
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        for pid in ("P1", "P2"):
            await add_partner(uow, pid)
        await add_rep(uow, "P1", "boss@p1.example", name="Boss P1", role="manager")
        await uow.commit()
    lead = await store_lead(runtime, 1)
    console = Console(runtime)
    feed = await console(f"assign {lead} P2")
    feed += await console("pause P2")
    feed += await console("resume P2")
    await console("as boss@p1.example")
    reason = "Messe" if language == "de" else "trade fair"
    await console(f"away until 2026-03-24 {reason}")
    feed += await console("as staff")  # what arrived meanwhile
    until = "24.03.2026" if language == "de" else "2026-03-24"
    for line in says:
        assert line.format(lead=lead, until=until) in feed, feed
    if language == "de":  # "[staff feed]" is the console's own heading
        assert "staff" not in feed.replace("[staff feed]", "").lower(), feed
    await runtime.close()


async def test_assign_refuses_what_staff_cannot_overrule(
    ops_settings: Any, clock: ManualClock, database_url: str
) -> None:
    """The prospect's consent decides who may contact them, and a paused partner could not
    claim: assigning past either is refused, naming why, and changes nothing."""
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    only_p1 = await store_lead(runtime, 1, **{"consent.allowed_partners": ["P1"]})
    anyone = await store_lead(runtime, 2)
    before = (await _offered_to(runtime, only_p1), await _offered_to(runtime, anyone))

    def cli(*args: str) -> Any:
        return leadbot(database_url, *args)

    refused = await asyncio.to_thread(cli, "leads", "assign", str(only_p1), "P2")
    assert refused.exit_code == 1, refused.output
    assert "consent limited to partners P1" in refused.output
    assert "Traceback" not in refused.output

    paused = await asyncio.to_thread(cli, "partners", "pause", "P2", "--until", "+3d")
    assert paused.exit_code == 0, paused.output
    console = Console(runtime)
    await console("as staff")
    answer = await console(f"assign {anyone} P2")
    assert f"Lead #{anyone} cannot go to Partner P2" in answer and "paused" in answer

    after = (await _offered_to(runtime, only_p1), await _offered_to(runtime, anyone))
    assert after == before  # nothing withdrawn, nothing offered
    assert (await console(f"assign {only_p1} P1")).startswith(f"✔ Lead #{only_p1} is offered")
    await runtime.close()


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


async def test_a_command_with_a_control_character_is_refused_and_the_session_goes_on(
    ops_settings: Any, clock: ManualClock
) -> None:
    """PostgreSQL refuses a NUL byte: typed into a partner id it ended the console."""
    runtime = Runtime.create(ops_settings, clock=clock)
    await _directory(runtime)
    lead = await store_lead(runtime, 1)
    console = Console(runtime)
    await console("as staff")
    for typed in (f"assign {lead} P2\x00", "pause P1\x1b[2J", f"lost {lead} other \x00"):
        assert "control character" in await console(typed)
    assert f"Lead #{lead} is offered to Partner P2 alone." in await console(f"assign {lead} P2")
    await runtime.close()
