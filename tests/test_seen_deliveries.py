"""A platform delivery is applied once, even by two processes at the same moment.

Slack retries a request that was not answered within 3 s; the retry may reach another
process while the first still works on it. Both pass the "seen?" check (neither has
committed), both do the work; the mark committed with the work (:mod:`bot.seen`) decides:
the second commit finds the first's mark, rolls its own work back and counts the delivery
as repeated. Two runtimes on one database are the two processes; the work is a real
intake of a lead without ``external_id`` (which would otherwise be stored twice, the
second held as a possible duplicate).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, Lead
from bot.runtime import Runtime
from tests.support.factories import DELETE, add_partner, add_rep, lead_payload


async def test_a_delivery_two_processes_apply_at_once_is_applied_once(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(products=[{"id": "X200", "line": "X-series"}])
    first, second = Runtime.create(settings, clock=clock), Runtime.create(settings, clock=clock)
    try:
        async with first.uow() as uow:
            await add_partner(uow, "P1")
            await add_rep(uow, "P1", "rep@p1.example")
            await uow.commit()
        lead = LeadIn.model_validate(lead_payload(external_id=DELETE))
        key = "slack:retried-request"
        second_working = asyncio.Event()

        async def apply(runtime: Runtime, started: asyncio.Event | None = None) -> None:
            async with runtime.uow() as uow:
                if started is not None:
                    started.set()
                await receive(uow, lead, Actor.system(Channel.API))
                if started is None:  # the first commits only once the second works too
                    await second_working.wait()
                await uow.commit()

        ran = await asyncio.wait_for(
            asyncio.gather(
                first.seen.once(first, key, lambda: apply(first)),
                second.seen.once(second, key, lambda: apply(second, second_working)),
            ),
            30,
        )
        assert sorted(ran) == [False, True]  # one applied it; the other counts as a repeat
        async with first.uow() as uow:
            assert await uow.session.scalar(select(func.count()).select_from(Lead)) == 1
        # A later redelivery, to either process, is a repeat too.
        assert await second.seen.once(second, key, lambda: apply(second)) is False
    finally:
        await first.close()
        await second.close()
