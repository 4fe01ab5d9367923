"""Assigning a lead to one partner from the chats (``assign <lead> <partner>``): the lead
is offered to that partner alone, the other offers are withdrawn, and only that partner
can claim it. What staff cannot overrule — the prospect's consent, a paused partner — is
refused, naming why, and changes nothing; a staff chat hears the warnings in its language.

Pausing partners: tests/test_partner_operations_pause.py; the CLI:
tests/test_partner_operations_cli.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.models import Offer, OfferStatus
from bot.runtime import Runtime
from tests.support.cli import leadbot
from tests.support.console import Console
from tests.support.factories import store_lead
from tests.support.partner_ops import directory as _directory
from tests.support.partner_ops import offered_to as _offered_to
from tests.support.partner_ops import ops_settings_for


@pytest.fixture
def ops_settings(make_settings: Any) -> Any:
    return ops_settings_for(make_settings)


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
