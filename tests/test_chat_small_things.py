"""Small things a partner's rep met in the console (the grammar every chat shares): what
they typed, and the answer they should have got."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.models import LeadStatus
from bot.runtime import Runtime
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.world import lead_of


@pytest.fixture
async def world(make_settings: Any, clock: ManualClock) -> Any:
    settings = make_settings(
        distribution={"waves": [{"size": 1, "minutes": 60}, {"size": 0, "minutes": 120}]},
        products=[{"id": "X200", "line": "X-series"}],
        matching={"fairness": 0},
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", languages=["de"])
        await add_rep(uow, "P1", "anna@p1.example", name="Anna Albers", role="manager")
        await add_partner(uow, "P2", languages=["en"])
        await add_rep(uow, "P2", "cleo@p2.example", name="Cleo", language="en")
        await uow.commit()
    yield runtime, Console(runtime)
    await runtime.close()


async def test_a_lead_number_too_long_for_any_lead_is_said_to_be_too_large(world: Any) -> None:
    """13 digits are a number — "muss eine Zahl sein" was wrong; no lead has it."""
    _, console = world
    await console("as anna@p1.example")
    assert "✖ lead: Einen Lead Nr. 1234567890123 gibt es nicht — die Nummer ist zu groß." in (
        await console("lead 1234567890123")
    )
    assert "✖ Einen Lead Nr. 1234567890123 gibt es nicht — die Nummer ist zu groß." in (
        await console("1234567890123")
    )
    assert "✖ claim: Ein Angebot Nr. 99999999999999 gibt es nicht" in (
        await console("claim 99999999999999")
    )
    await console("as cleo@p2.example")
    assert "✖ won: There is no lead 1234567890123 — the number is too large." in (
        await console("won 1234567890123 5000")
    )
    assert "The lead must be a number, not 'twelve'" in await console("won twelve 5000")


async def test_as_with_a_word_too_many_switches_to_nobody(world: Any) -> None:
    """`as staff extra` switched to staff, ignoring "extra" — as every other command
    refuses a word it did not expect, so does `as`, and the session stays who it was."""
    _, console = world
    await console("as anna@p1.example")
    said = await console("as staff extra")
    assert said == (
        "✖ as: 'extra' verstehe ich hier nicht. Aufruf: as staff | as <E-Mail des Vertriebs>"
    )
    assert "Anna Albers" in await console("whoami")


async def test_a_paused_partner_s_teasers_offer_nothing_to_claim(world: Any) -> None:
    """Its offers wait for it (they stay open), but a claim would be refused: `teasers`
    says the company is paused, instead of listing `claim N` hints."""
    runtime, console = world
    await store_lead(runtime, 1)
    await console("as anna@p1.example")
    listed = await console("teasers")
    assert "claim " in listed
    await console("away")
    paused = await console("teasers")
    assert "claim " not in paused, paused
    assert "Ihr Unternehmen ist derzeit pausiert" in paused
    await console("back")
    assert "claim " in await console("teasers")


async def test_a_claim_while_away_says_so_and_not_to_call_the_manufacturer(world: Any) -> None:
    """A claim while the company is away (its own manager's ``away``) was refused with "Ihr
    Konto oder Ihr Unternehmen ist derzeit pausiert. Bitte wenden Sie sich an den
    Hersteller." — but the manufacturer did not pause it, and ``back`` ends it. The refusal
    says what ``teasers`` says; a deactivated account still hears to ask the manufacturer."""
    runtime, console = world
    await store_lead(runtime, 1)
    await console("as anna@p1.example")
    await console("away")
    said = await console("claim 1")
    assert said == (
        "✖ Ihr Unternehmen ist derzeit pausiert: Angebote lassen sich erst wieder übernehmen,"
        " wenn es fortgesetzt ist. Bis dahin bekommt es keine neuen."
    ), said
    await console("back")
    assert (await console("claim 1")).startswith("✔ Lead #1 gehört Ihnen!")


async def test_away_while_away_tells_staff_once(world: Any) -> None:
    _, console = world
    await console("as anna@p1.example")
    await console("away")
    await console("away")
    feed = await console("as staff")
    assert feed.count("von Anna Albers pausiert") == 1, feed
    # Another end is a change: staff hear of it.
    await console("as anna@p1.example")
    await console("away until 24.12.")
    assert "bis einschließlich" in await console("as staff")


async def _claimed_by_anna(runtime: Runtime, console: Console, n: int) -> int:
    lead_id = await store_lead(runtime, n)
    await console("as anna@p1.example")
    listed = await console("teasers")
    offer = re.findall(r"claim (\d+)", listed)[-1]
    assert "gehört Ihnen" in await console(f"claim {offer}")
    return lead_id


async def test_german_whole_euros_with_a_dash_are_an_amount(world: Any) -> None:
    """ "12.500,-" is how German writes 12,500 euros: read as such (it was refused);
    with a comma grouping the euros before the dash it is ambiguous, and refused."""
    runtime, console = world
    lead_id = await _claimed_by_anna(runtime, console, 1)
    refused = await console(f"won {lead_id} 12,500,-")
    assert "'12,500,-' ist kein Betrag in Euro" in refused
    assert "✔" in await console(f"won {lead_id} 12.500,-")
    assert (await lead_of(runtime, lead_id)).revenue_eur == Decimal("12500.00")


async def test_whole_euros_whose_two_dashes_became_a_long_dash_are_an_amount(world: Any) -> None:
    """An iPhone or a Mac types "12.500,--" as "12.500,—" (smart punctuation): the same
    whole euros, not "kein Betrag in Euro"."""
    runtime, console = world
    lead_id = await _claimed_by_anna(runtime, console, 3)
    assert "✔" in await console(f"won {lead_id} 12.500,—")
    assert (await lead_of(runtime, lead_id)).revenue_eur == Decimal("12500.00")


async def test_a_won_lead_may_have_no_known_revenue(world: Any) -> None:
    """Decided: `won N 0` is accepted — a win whose revenue the partner does not know (a
    framework agreement, a free pilot); a made-up amount would be worse data."""
    runtime, console = world
    lead_id = await _claimed_by_anna(runtime, console, 2)
    assert "✔" in await console(f"won {lead_id} 0")
    lead = await lead_of(runtime, lead_id)
    assert lead.status is LeadStatus.WON and lead.revenue_eur == Decimal("0.00")


async def test_session_verbs_that_take_nothing_say_so_about_a_word_too_many(world: Any) -> None:
    """`quit now`, `more please`, `outbox x` ignored the words after them (`quit now` ended
    the session); they are refused naming the word, like `as staff extra`."""
    _, console = world
    await console("as anna@p1.example")
    assert await console("more please") == (
        "✖ more: 'please' verstehe ich hier nicht. Aufruf: more"
    )
    assert await console("outbox x") == "✖ outbox: 'x' verstehe ich hier nicht. Aufruf: outbox"
    assert await console("quit now") == "✖ quit: 'now' verstehe ich hier nicht. Aufruf: quit"
    assert "Anna Albers" in await console("whoami")  # the session went on


async def test_whoami_names_a_partner_manager_as_one(world: Any) -> None:
    """A manager (reps CSV, role ``manager``) was told "im Vertrieb" like any rep."""
    _, console = world
    await console("as anna@p1.example")
    said = await console("whoami")
    assert said.startswith("Sie sind Anna Albers, in leitender Rolle bei Partner P1."), said
    await console("as cleo@p2.example")
    assert (await console("whoami")).startswith("You are Cleo, sales rep of partner P2.")
