"""``leads`` for a partner's team: whose is each lead (docs/console.md, docs/lifecycle.md).

A rep's ``leads`` (Slack ``/leads``, Telegram ``/leads``, the console) lists every open
lead of their partner. A manager covering for a sick colleague, or a rep asked to
``takeover`` one, must see which of them are a colleague's and whose: the list names the
owner of each lead that is not the reader's own, and is headed as the team's list then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from tests.support.chat_world import DRIVERS, ChatWorld, chat_world
from tests.support.drivers.base import Member
from tests.support.factories import add_rep


@pytest.fixture(params=("console", "slack", "telegram"))
async def team(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], clock: ManualClock
) -> AsyncIterator[tuple[ChatWorld, Member]]:
    """A world on the platform, and a colleague of P1's rep there (Sophie Brandl)."""
    setup = DRIVERS[request.param]
    emulator: Any = request.getfixturevalue(setup.fixture) if setup.fixture else None
    async with chat_world(request.param, make_settings, clock, emulator) as world:
        a = world.members[0]
        ids = setup.ids(9, a.partner_id)
        async with world.runtime.uow() as uow:
            email = "sophie@p1.example"
            rep = await add_rep(
                uow, a.partner_id, email, name="Sophie Brandl", **setup.rep_fields(ids)
            )
            await uow.commit()
        sophie = Member(
            a.partner_id, a.partner_name, rep.id, "Sophie Brandl", email, ids.user, a.channel
        )
        setup.prepare(emulator, [sophie])
        yield world, sophie


async def test_the_team_s_list_names_whose_each_lead_is(
    team: tuple[ChatWorld, Member],
) -> None:
    world, sophie = team
    a = world.members[0]
    first = await world.post_lead()
    await world.claim(a, await world.teaser(a, first))
    await world.settled()
    alone = await world.command(a, "leads")
    assert "Ihre offenen Leads" in alone and "Team" not in alone, alone  # all his own
    second = await world.post_lead()
    await world.claim(sophie, await world.teaser(sophie, second))
    await world.settled()  # the cards are out: the answers below are the lists alone

    hers = await world.command(sophie, "leads")
    assert "Offene Leads Ihres Teams" in hers, hers  # a colleague's lead in it: the team's list
    line = next(text for text in hers.splitlines() if f"#{first}" in text)
    assert a.name in line, hers  # her colleague's lead, and whose
    own = next(text for text in hers.splitlines() if f"#{second}" in text)
    assert "Sophie Brandl" not in own, hers  # her own is not signed

    his = await world.command(a, "leads")
    line = next(text for text in his.splitlines() if f"#{second}" in text)
    assert "Sophie Brandl" in line, his
    assert a.name not in next(text for text in his.splitlines() if f"#{first}" in text), his


async def test_a_card_a_colleague_changed_says_who_changed_it(
    team: tuple[ChatWorld, Member],
) -> None:
    world, sophie = team
    a = world.members[0]
    lead_id = await world.post_lead()
    await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing="Brauerei Huber GmbH")

    # Sophie reports for her colleague's lead: his card shows the step, and who took it.
    await world.command(sophie, f"contacted {lead_id}")
    await world.card(a, lead_id, containing="Geändert von Sophie Brandl aus Ihrem Team.")
    # His own next report: the card is his again, without the line.
    await world.report(a, lead_id, "meeting")
    await world.settled()
    card = await world.card(a, lead_id, containing="Brauerei Huber GmbH")
    assert "Sophie Brandl" not in card and "kontaktiert" not in card, card
