"""Exactly one winner: 100 reps of 100 partners press Claim at the same moment.

Each claimer runs in its own database connection (no pool), on PostgreSQL and on SQLite,
so the only thing standing between them is the conditional UPDATE of the claim. The module
is ``serial``: 100 connections are all PostgreSQL allows by default, so ``make test`` runs it
alone, after the parallel part.
"""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.config import Settings
from bot.delivery.notices import NoticeKind
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import ClaimOutcome, ClaimResult, claim
from bot.models import (
    Channel,
    Lead,
    LeadEvent,
    LeadStatus,
    Offer,
    OfferStatus,
    OutboxMessage,
    Platform,
    Rep,
    Timer,
)
from bot.runtime import Runtime
from tests.support.databases import PG_HOST, PG_PORT, PG_USER
from tests.support.factories import add_partner, add_rep, lead_payload

PG_ADMIN = {"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "dbname": "postgres"}

pytestmark = pytest.mark.serial

CLAIMERS = 100


async def _wait_for_free_connections(needed: int, timeout: float = 180) -> None:
    """PostgreSQL allows 100 connections by default; other test runs on this machine may
    hold some for a while. Wait until the race can have its 100 separate connections."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    free = 0
    while loop.time() < deadline:
        conn = await asyncio.to_thread(psycopg.connect, **PG_ADMIN)
        try:
            limit = int(conn.execute("SHOW max_connections").fetchone()[0])
            used = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
            ).fetchone()[0]
        finally:
            conn.close()
        free = limit - (used - 1)  # not counting this checking connection itself
        if free >= needed:
            return
        await asyncio.sleep(1)
    raise AssertionError(f"PostgreSQL has only {free} free connections; the race needs {needed}")


async def test_exactly_one_of_100_concurrent_claimers_wins(make_settings, clock) -> None:
    settings: Settings = make_settings(
        # 100 connections of one process fighting for SQLite's one write lock is about
        # exactly-once, not latency: let each wait as long as it needs.
        database={"sqlite_busy_timeout_seconds": 60},
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        products=[{"id": "X200", "line": "X-series"}],
    )
    setup = Runtime.create(settings, clock=clock)
    async with setup.uow() as uow:
        for i in range(CLAIMERS):
            await add_partner(uow, f"P{i:03d}")
            await add_rep(uow, f"P{i:03d}", f"rep{i}@p{i}.example")
        result = await receive(
            uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API)
        )
        await uow.commit()
        lead_id = result.lead_id
    async with setup.uow() as uow:
        offers = (
            await uow.session.execute(
                select(Offer.id, Offer.partner_id)
                .where(Offer.lead_id == lead_id)
                .order_by(Offer.id)
            )
        ).all()
    await setup.close()
    assert len(offers) == CLAIMERS

    if not settings.database.url.startswith("sqlite"):
        await _wait_for_free_connections(CLAIMERS)
    # One runtime without a connection pool: every claimer opens its own connection.
    racing = Runtime.create(settings, clock=clock, pooled=False)
    async with racing.uow() as uow:
        reps = dict((await uow.session.execute(select(Rep.partner_id, Rep.id))).all())
    start = asyncio.Event()

    async def claimer(offer_id: int, partner_id: str) -> ClaimResult:
        await start.wait()
        async with racing.uow() as uow:
            return await claim(uow, offer_id, reps[partner_id], Platform.SLACK)

    tasks = [asyncio.create_task(claimer(o.id, o.partner_id)) for o in offers]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)
    await racing.close()

    winners = [r for r in results if r.outcome is ClaimOutcome.WON]
    losers = [r for r in results if r.outcome is not ClaimOutcome.WON]
    assert len(winners) == 1
    assert {r.outcome for r in losers} == {ClaimOutcome.TAKEN}
    assert len(losers) == CLAIMERS - 1

    check = Runtime.create(settings, clock=clock)
    async with check.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        statuses = (
            await uow.session.scalars(select(Offer.status).where(Offer.lead_id == lead_id))
        ).all()
        winner_offer = await uow.session.get(Offer, winners[0].offer_id)
        claimed_events = await uow.session.scalar(
            select(func.count())
            .select_from(LeadEvent)
            .where(LeadEvent.lead_id == lead_id, LeadEvent.to_status == LeadStatus.CLAIMED.value)
        )
        cards = await uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.lead_id == lead_id, OutboxMessage.kind == NoticeKind.LEAD_CARD.value
            )
        )
        closed_notices = await uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.lead_id == lead_id,
                OutboxMessage.kind == NoticeKind.TEASER_CLOSED.value,
            )
        )
        sla_timers = await uow.session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.lead_id == lead_id, Timer.done_at.is_(None))
        )
    await check.close()
    assert lead is not None and winner_offer is not None
    assert lead.status is LeadStatus.CLAIMED
    assert lead.owner_partner_id == winner_offer.partner_id
    assert lead.owner_rep_id == reps[winner_offer.partner_id]
    assert sorted(statuses) == sorted([OfferStatus.WON] + [OfferStatus.TAKEN] * (CLAIMERS - 1))
    assert claimed_events == 1
    assert cards == 1  # exactly one hand-over
    assert closed_notices == CLAIMERS  # every teaser (the winner's too) is edited to "taken"
    assert sla_timers == 2  # reminder and recall for the one owner
