"""A change that read the lead cannot overwrite one committed meanwhile (PostgreSQL).

The last wave of a lead runs out while a rep's claim of it is on its way. The claim has
updated the lead but not committed yet (it is held up by a table lock the test takes);
the timer then reads the lead. Without a row lock it read "offered", waited only at its
own write, and once the claim committed it marked the claimed lead "unclaimed" — the
winner held the lead's details while staff were told nobody took it. With the lead read
``FOR UPDATE`` (bot/leads/locks.py) the timer waits for the claim and finds it claimed.

SQLite needs no such test: its write transactions never overlap (bot/db.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import ClaimOutcome, ClaimResult, claim
from bot.leads.scheduler import run_due_timers
from bot.models import Channel, Lead, LeadStatus, Offer, Platform, Timer, TimerKind
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.support.factories import add_partner, add_rep, lead_payload

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@contextlib.asynccontextmanager
async def events_held_up(database_url: str) -> AsyncIterator[None]:
    """No transaction can write the audit trail until the block ends: a claim that has
    updated its lead waits there, holding the lead's row, uncommitted."""
    conn = await psycopg.AsyncConnection.connect(database_url)
    try:
        await conn.execute("LOCK TABLE lead_events IN EXCLUSIVE MODE")
        yield
    finally:
        await conn.rollback()
        await conn.close()


async def waiting_on_locks(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0


async def until_waiting(database_url: str, count: int) -> None:
    async with asyncio.timeout(10):
        while await waiting_on_locks(database_url) < count:
            await asyncio.sleep(0.02)


async def test_a_wave_running_out_during_a_claim_leaves_the_lead_claimed(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str
) -> None:
    settings = make_settings(
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        products=[{"id": "X200", "line": "X-series"}],
    )
    rep_side, timer_side = (
        Runtime.create(settings, clock=clock),
        Runtime.create(settings, clock=clock),
    )
    try:
        async with rep_side.uow() as uow:
            await add_partner(uow, "P1")
            rep = await add_rep(uow, "P1", "anna@p1.example")
            result = await receive(
                uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API)
            )
            await uow.commit()
            offer_id = await uow.session.scalar(select(Offer.id))
        assert result.status is LeadStatus.OFFERED and offer_id is not None
        clock.advance(minutes=61)  # the only wave has run out: its timer is due

        async def press() -> ClaimResult:
            async with rep_side.uow() as uow:
                return await claim(uow, offer_id, rep.id, Platform.CONSOLE)

        async with events_held_up(database_url):
            claiming = asyncio.create_task(press())
            await until_waiting(database_url, 1)  # the claim holds the lead, uncommitted
            timers = asyncio.create_task(run_due_timers(timer_side))
            await until_waiting(database_url, 2)  # the timer waits too
        # The table lock is gone: the claim commits, then the timer goes on.
        claimed = await asyncio.wait_for(claiming, 10)
        await asyncio.wait_for(timers, 10)

        assert claimed.outcome is ClaimOutcome.WON
        async with timer_side.uow() as uow:
            lead = await uow.session.get(Lead, result.lead_id)
            expiry = await uow.session.scalar(
                select(Timer).where(Timer.kind == TimerKind.WAVE_EXPIRY)
            )
        assert lead is not None and lead.status is LeadStatus.CLAIMED
        assert lead.owner_partner_id == "P1"
        assert expiry is not None and expiry.outcome == "cancelled"  # by the claim
    finally:
        await rep_side.close()
        await timer_side.close()
