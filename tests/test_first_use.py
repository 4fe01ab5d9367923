"""What a new user hit, through the interface where they met it (console and CLI):
backlog paging, offer numbers, errors in their language, bands, deadlines, plurals,
follow-ups before first contact, a colleague's lead, and no tracebacks."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.models import Channel, Offer
from bot.runtime import Runtime
from tests.support.cli import leadbot
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, store_lead


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
        await add_rep(uow, "P1", "anna@p1.example", name="Anna Albers")
        await add_rep(uow, "P1", "ben@p1.example", name="Ben Bauer")
        await add_partner(uow, "P2", languages=["en"])
        await add_rep(uow, "P2", "cleo@p2.example", name="Cleo", language="en")
        await uow.commit()
    yield runtime, Console(runtime)
    await runtime.close()


async def _offer(runtime: Runtime, lead_id: int, partner_id: str) -> int:
    async with runtime.uow() as uow:
        offer = await uow.session.scalar(
            select(Offer).where(Offer.lead_id == lead_id, Offer.partner_id == partner_id)
        )
        assert offer is not None
        return offer.id


async def test_staff_reach_every_message_that_arrived_meanwhile(world: Any) -> None:
    runtime, console = world
    await console("as anna@p1.example")
    for n in range(8):  # staff are away: their feed fills up
        await store_lead(runtime, n)
    await console("leads")
    shown = await console("as staff")
    assert "die neuesten 6 folgen — more zeigt die" in shown
    pages = [await console("more")]
    while "more eingeben" in pages[-1]:
        pages.append(await console("more"))
    everything = shown + "".join(pages)
    for n in range(1, 9):
        assert f"Neuer Lead #{n} " in everything  # none is out of reach
    assert "Keine älteren Nachrichten." in await console("more")


async def test_closed_teasers_name_the_offer_not_a_lead_number(world: Any) -> None:
    runtime, console = world
    first = await store_lead(runtime, 1)
    await console("as anna@p1.example")
    await console(f"decline {await _offer(runtime, first, 'P1')} too_far")  # P2: offer 2
    second = await store_lead(runtime, 2)
    offer = await _offer(runtime, second, "P1")
    assert offer != second  # offer and lead numbers differ now
    await console("as cleo@p2.example")
    out = await console(f"claim {offer}")  # not hers: refused, nothing closed
    await console("as ben@p1.example")
    out = await console(f"claim {offer}")
    assert f"Neuer Lead (Angebot {offer}): Vergeben" in out
    assert f"Neuer Lead #{offer}:" not in out


async def test_errors_are_in_the_askers_language_and_say_what_to_do(world: Any) -> None:
    runtime, console = world
    nowhere = await store_lead(runtime, 1, **{"company.address.country": "CH"})  # nobody serves CH
    lead = await store_lead(runtime, 2)
    await console("as anna@p1.example")
    await console(f"claim {await _offer(runtime, lead, 'P1')}")
    await console(f"contacted {lead}")
    again = await console(f"won {lead} 1000")
    assert "Lead #" in again
    await console(f"contacted {lead}")  # again: allowed? contacted -> contacted is not
    refused = await console(f"contacted {lead}")
    assert "das geht jetzt nicht" in refused
    assert "possible next" not in refused and "cannot become" not in refused
    await console("as staff")
    answer = await console(f"reoffer {nowhere}")
    assert f"Lead #{nowhere}: weiterhin kein passender Partner — `explain {nowhere}`" in answer
    assert "cannot become" not in answer


async def test_teasers_show_bands_in_the_readers_words(world: Any) -> None:
    runtime, console = world
    await store_lead(
        runtime, 1, **{"company.annual_revenue_eur": None, "interest.estimated_value_eur": None}
    )
    lead = await store_lead(runtime, 2, **{"company.annual_revenue_eur": 400_000_000})
    await console("as anna@p1.example")
    teasers = await console("teasers")
    assert "unbekannt" in teasers and "unknown €" not in teasers
    assert "250 Mio - 1 Mrd €" in teasers
    # An English partner reads English units.
    async with runtime.uow() as uow:
        from bot.leads.assign import assign

        await assign(uow, lead, "P2", Actor.staff(Channel.CLI))
    await console("as cleo@p2.example")
    assert "250 M - 1 bn €" in await console("teasers")


async def test_a_teaser_is_open_until_the_round_ends_and_staff_read_plurals(world: Any) -> None:
    runtime, console = world
    await store_lead(runtime, 1)
    teaser = await console("as anna@p1.example")  # the teaser waiting in P1's channel
    # wave 1 (60 min) + wave 2 (120 min): open until 10:00 on the clock's day (08:00 UTC
    # = 09:00 Berlin, + 3 h), not until wave 1's end.
    assert "Angebot läuft bis 02.03.2026 12:00" in teaser
    feed = await console("as staff")
    assert "Welle 1/2 an einen Partner" in feed


async def test_a_follow_up_before_first_contact_says_the_deadline_still_runs(world: Any) -> None:
    runtime, console = world
    lead = await store_lead(runtime, 1)
    await console("as anna@p1.example")
    await console(f"claim {await _offer(runtime, lead, 'P1')}")
    answer = await console(f"followup {lead} +3d")
    assert "Die Frist für den Erstkontakt läuft weiter" in answer
    assert re.search(r"bis \d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", answer)


async def test_a_colleague_is_told_who_has_the_lead(world: Any) -> None:
    runtime, console = world
    lead = await store_lead(runtime, 1)
    offer = await _offer(runtime, lead, "P1")
    await console("as anna@p1.example")
    await console(f"claim {offer}")
    await console("as ben@p1.example")
    assert "Anna Albers aus Ihrem Team hat Lead #1 bereits übernommen." in await console(
        f"claim {offer}"
    )


async def test_cli_errors_are_one_line_not_a_traceback(tmp_path: Any) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for args in (("report",), ("outbox", "status"), ("erase", "1", "--yes"), ("explain", "1")):
        result = await asyncio.to_thread(leadbot, empty, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "run `leadbot migrate` first" in result.output
        assert "Traceback" not in result.output and "SELECT" not in result.output
    hosted = await asyncio.to_thread(
        leadbot, "postgres://postgres@127.0.0.1:5432/test", "migrate", "--help"
    )
    assert hosted.exit_code == 0  # the postgres:// form many hosts hand out is accepted
    wrong = await asyncio.to_thread(
        leadbot, empty, "report", LEADBOT_TELEGRAM__WEBHOOK_URL="htp:/leadbot.example"
    )
    assert wrong.exit_code == 2 and "webhook_url" in wrong.output


async def test_the_sample_industries_read_as_industries_on_teaser_and_card(world: Any) -> None:
    runtime, console = world
    lead = await store_lead(runtime, 1, **{"company.industry": "machinery"})
    teaser = await console("as anna@p1.example")
    assert "Branche: Produktion" in teaser and "Sonstige" not in teaser
    card = await console(f"claim {await _offer(runtime, lead, 'P1')}")
    assert "Branche: Produktion" in card and "machinery" not in card
