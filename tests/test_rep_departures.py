"""A rep who leaves their partner leaves its leads with the partner (docs/lifecycle.md).

Through ``leadbot reps import`` and the console, on both backends: the rep who moved to
another partner gets no more card updates and is refused when they open or report on the
old partner's lead; a colleague at the old partner has the lead and carries on; a partner
whose only rep was deactivated loses the lead to the next round; staff see both.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.cockpit.timeline import details, what
from bot.config import Settings
from bot.models import LeadEvent, LeadStatus, OfferStatus, OutboxMessage, Rep
from tests.support.chat_world import ChatWorld, chat_world
from tests.support.cli import leadbot

COMPANY = "Brauerei Huber GmbH"
PRIVATE = (COMPANY, "Maria Huber", "maria@brauerei-")
HEADER = "partner_id,name,email,role\n"


@pytest.fixture
def clock() -> ManualClock:
    """Today: ``leadbot reps import`` runs on the real clock, and what it queues is due then."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def world(
    make_settings: Callable[..., Settings], clock: ManualClock
) -> AsyncIterator[ChatWorld]:
    async with chat_world("console", make_settings, clock) as world:
        yield world


async def _import(world: ChatWorld, tmp_path: Path, rows: str, *flags: str) -> str:
    path = tmp_path / f"reps-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    url = world.runtime.settings.database.url
    # The command writes notices for the platforms its own settings enable: the console here.
    command = ("reps", "import", *flags, str(path))
    result = await asyncio.to_thread(leadbot, url, *command, LEADBOT_CONSOLE__ENABLED="true")
    assert result.exit_code == 0, result.output
    world.clock.set(max(world.clock.now(), datetime.now(UTC)) + timedelta(seconds=1))
    return result.stdout


async def _last_outbox_id(world: ChatWorld) -> int:
    async with world.runtime.uow() as uow:
        return await uow.session.scalar(select(func.max(OutboxMessage.id))) or 0


async def _events(world: ChatWorld, lead_id: int) -> list[LeadEvent]:
    async with world.runtime.uow() as uow:
        query = select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
        return list((await uow.session.scalars(query)).all())


async def test_a_rep_who_moves_leaves_the_lead_with_a_colleague(
    world: ChatWorld, tmp_path: Path
) -> None:
    a, b = world.members
    await _import(
        world,
        tmp_path,
        f"P1,{a.name},{a.email},sales\nP1,Karla Kollegin,karla@p1.example,manager\n"
        f"P2,{b.name},{b.email},sales\n",
    )
    async with world.runtime.uow() as uow:
        karla_id = (
            await uow.session.scalars(select(Rep.id).where(Rep.name == "Karla Kollegin"))
        ).one()
    karla = dataclasses.replace(
        a, rep_id=karla_id, name="Karla Kollegin", email="karla@p1.example", user="karla@p1.example"
    )

    lead_id = await world.post_lead()
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing=COMPANY)
    await world.report(a, lead_id, "contacted")
    await world.card(a, lead_id, containing="kontaktiert")
    before = await world.private(a)

    # Sophie's employer changes: the file moves her to the other partner.
    told = await _import(
        world,
        tmp_path,
        f"P2,{a.name},{a.email},sales\nP1,Karla Kollegin,karla@p1.example,manager\n",
    )
    assert "open leads of reps who left: 1 passed to a colleague" in told
    lead = await world.lead(lead_id)
    assert (lead.status, lead.owner_partner_id, lead.owner_rep_id) == (
        LeadStatus.CONTACTED,
        "P1",
        karla_id,
    )

    # The colleague has the card and is told why; staff see it.
    await world.card(karla, lead_id, containing=COMPANY)
    await world.direct(karla, lead_id, containing=f"{a.name} betreut ihn nicht mehr")
    await world.staff_sees(
        f"Lead #{lead_id}: {a.name} ist nicht mehr bei {a.partner_name}; "
        "der Lead liegt jetzt bei Karla Kollegin."
    )

    # The rep who left is refused and hears nothing more about it.
    refused = f"Lead #{lead_id} gehört nicht Ihrem Unternehmen."
    assert refused in await world.driver.terminal.type(a.email, f"lead {lead_id}")
    assert refused in await world.report(a, lead_id, "meeting")
    assert refused in await world.report(a, lead_id, ("follow_up", world.today_plus(2)))
    await world.report(karla, lead_id, "meeting")
    await world.card(karla, lead_id, containing="Termin")
    await world.report(karla, lead_id, ("follow_up", world.today_plus(1)))
    world.advance(days=1, hours=12)
    await world.direct(karla, lead_id, containing=f"Wiedervorlage heute: Lead #{lead_id}.")
    await world.settled()
    after = (await world.private(a))[len(before) :]
    assert not [word for word in PRIVATE if word in after], after
    # Their card says why its details went (it only said "no details visible").
    assert f"Lead #{lead_id}: Sie betreuen ihn nicht mehr für das Unternehmen" in after
    assert "nicht mehr bei dem Unternehmen, das ihn betreut" not in after  # not a colleague's
    assert "Wiedervorlage" not in after
    assert (await world.lead(lead_id)).status is LeadStatus.MEETING

    # The audit trail says who left, why and who has the lead now.
    [left] = [e for e in await _events(world, lead_id) if e.kind == "owner_left"]
    assert (left.partner_id, left.detail["reason"]) == ("P1", "moved")
    assert what("de", left) == "Zuständige Person nicht mehr beim Partner"
    assert details("de", left) == (
        f"Grund: zu einem anderen Partner gewechselt · bisher {a.name} · jetzt Karla Kollegin"
    )


async def test_a_partner_whose_only_rep_is_deactivated_loses_the_lead_to_the_next_round(
    world: ChatWorld, tmp_path: Path
) -> None:
    a, b = world.members
    lead_id = await world.post_lead()
    await world.teaser(a, lead_id)
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(b, await world.teaser(b, lead_id))
    await world.card(b, lead_id, containing=COMPANY)
    await world.settled()
    last = await _last_outbox_id(world)

    told = await _import(world, tmp_path, f"P1,{a.name},{a.email},sales\n", "--deactivate-missing")
    assert "1 not in the file deactivated" in told
    assert "1 recalled (no active rep left at the partner)" in told
    lead = await world.lead(lead_id)
    assert lead.status is LeadStatus.OFFERED and lead.owner_partner_id is None
    await world.teaser(a, lead_id)  # a new round, without P2
    assert all(o.status is not OfferStatus.OPEN for o in await world.offers(lead_id, "P2"))
    await world.staff_sees(
        f"Lead #{lead_id} von {b.partner_name} zurückgerufen (niemand mehr beim Partner)."
    )
    await world.settled()
    # The rep is gone from the console (an inactive rep is nobody it knows); what was
    # queued for them after the import is the edit that takes the lead off their card.
    async with world.runtime.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.id > last, OutboxMessage.address == f"rep:{b.rep_id}"
                )
            )
        ).all()
    assert [(r.kind, r.payload.get("event")) for r in rows] == [("lead_card", "owner_left")]
    kinds = [e.kind for e in await _events(world, lead_id)]
    assert "owner_left" in kinds
