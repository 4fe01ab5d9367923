"""Rows inserted together each get their own id, on both databases.

A wave's offers, a lead's events, a batch's timers are inserted with one multi-row
``INSERT … RETURNING`` per table (on SQLite too: ``bot/db.py`` lets the integer primary
key order the returned rows, ``insertmanyvalues_implicit_sentinel``). Each object must
then hold the id of its own row: a teaser that named another partner's offer would let
the wrong partner claim.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.intake.schema import LeadIn
from bot.intake.storing import store_batch
from bot.models import Channel, LeadEvent, Offer, OutboxMessage
from bot.runtime import Runtime
from tests.support.factories import add_partner, lead_payload

PARTNERS = [f"P{n}" for n in range(1, 8)]


async def test_a_waves_teasers_each_name_their_own_partners_offer(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(
        products=[{"id": "X200", "line": "X-series"}],
        distribution={"waves": [{"size": 0, "minutes": 60}]},  # everyone at once
    )
    runtime = Runtime.create(settings, clock=clock)
    try:
        async with runtime.uow() as uow:
            for pid in PARTNERS:
                await add_partner(uow, pid)
            await uow.commit()
        inserts: list[str] = []

        @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
        def _count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
            if statement.startswith("INSERT INTO offers"):
                inserts.append(statement)

        leads = [
            LeadIn.model_validate(
                lead_payload(
                    external_id=f"crm-{n}",
                    **{"company.domain": f"f{n}.example", "contact.email": f"a@f{n}.example"},
                )
            )
            for n in range(3)
        ]
        results = await store_batch(runtime, leads, Actor.system(Channel.API))
        assert all(not isinstance(r, BaseException) for r in results), results
        assert len(inserts) <= len(leads)  # one INSERT per lead's wave, not one per offer

        async with runtime.uow() as uow:
            offers = {o.id: o for o in (await uow.session.scalars(select(Offer))).all()}
            teasers = (
                await uow.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == "teaser")
                )
            ).all()
            events = (await uow.session.scalars(select(LeadEvent))).all()
        assert len(offers) == len(leads) * len(PARTNERS)
        assert len(teasers) == len(offers)
        for teaser in teasers:
            offer = offers[teaser.payload["offer_id"]]
            assert teaser.address == f"partner:{offer.partner_id}"
            assert teaser.lead_id == offer.lead_id
        # Each lead's trail: received, then offered, then its wave — in the order recorded.
        for lead in {e.lead_id for e in events}:
            trail = [e.kind for e in sorted(events, key=lambda e: e.id) if e.lead_id == lead]
            assert trail == ["received", "status", "wave"]
    finally:
        await runtime.close()
