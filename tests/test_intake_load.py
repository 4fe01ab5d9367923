"""Many writers at once in one process: every lead stored once, nothing stuck, on both databases.

API leads wait for their turn in the intake queue (bot/intake/batches.py) and the matching
index is reused between leads; these tests pin the behaviour a client sees:
every lead answered and stored, the teasers offered, a failed transaction not blocking the
next one, and the matching index following a claim made between two leads.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.chat import commands as c
from bot.chat.identity import rep_identity
from bot.chat.interactions import Interactions
from bot.clock import ManualClock
from bot.models import Lead, LeadStatus, Offer, OutboxMessage, Platform
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import INTAKE_AUTH, INTAKE_TOKEN, SettingsFactory
from tests.support.factories import add_partner, add_rep, lead_payload

TOKEN = INTAKE_TOKEN
AUTH = INTAKE_AUTH
LEADS = 40
HANG_GUARD_SECONDS = 30  # generous; only stops a hang, asserts nothing about speed


def _lead(n: int) -> dict[str, Any]:
    return lead_payload(
        external_id=f"load-{n}",
        **{
            "company.name": f"Load {n} GmbH",
            "company.domain": f"load-{n}.example",
            "contact.email": f"buyer@load-{n}.example",
        },
    )


async def _count(runtime: Runtime, *query: Any) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(*query)) or 0)


async def test_many_leads_posted_at_once_are_all_stored_and_offered(busy_runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=create_app(busy_runtime))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http,
        asyncio.timeout(HANG_GUARD_SECONDS),
    ):
        answers = await asyncio.gather(
            *(http.post("/api/leads", json=_lead(n), headers=AUTH) for n in range(LEADS))
        )
        again = await http.post("/api/leads", json=_lead(7), headers=AUTH)

    assert [a.status_code for a in answers] == [201] * LEADS
    assert len({a.json()["id"] for a in answers}) == LEADS
    assert {a.json()["status"] for a in answers} == {"offered"}
    assert again.status_code == 200 and again.json()["id"] == answers[7].json()["id"]
    assert await _count(busy_runtime, Lead) == LEADS
    assert await _count(busy_runtime, Offer) == LEADS  # first wave: one partner each


async def test_a_failed_transaction_does_not_hold_up_the_next_writer(busy_runtime: Runtime) -> None:
    with pytest.raises(RuntimeError):
        async with busy_runtime.uow() as uow:
            await add_partner(uow, "P-broken", products=["X200"])
            await uow.session.flush()  # holds the write lock (SQLite) from here
            raise RuntimeError("a bug half-way")
    async with asyncio.timeout(HANG_GUARD_SECONDS), busy_runtime.uow() as uow:
        await add_partner(uow, "P-next", products=["X200"])
        await uow.commit()
    assert await _count(busy_runtime, OutboxMessage) == 0


async def test_a_claim_between_two_leads_changes_the_next_match(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    """The matching index is cached between leads; a claim (capacity used up) must show.

    One partner with room for one open lead: once its rep claims the first lead, the
    second lead finds nobody with room and is unmatched."""
    settings = make_settings(
        server={"api_token": TOKEN},
        products=[{"id": "X200", "line": "X-series", "min_certification": "basic"}],
    )
    runtime = Runtime.create(settings, clock=clock)
    try:
        async with runtime.uow() as uow:
            await add_partner(uow, "P1", products=["X200"], max_open_leads=1)
            rep = await add_rep(uow, "P1", "rita@p1.example", name="Rita")
            await uow.commit()
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
            first = (await http.post("/api/leads", json=_lead(1), headers=AUTH)).json()
            async with runtime.uow() as uow:
                offer = await uow.session.scalar(
                    select(Offer.id).where(Offer.lead_id == first["id"])
                )
            who = rep_identity(Platform.CONSOLE, "rita", rep)
            reply = await Interactions(runtime).execute(who, c.Claim(int(offer or 0)))
            second = (await http.post("/api/leads", json=_lead(2), headers=AUTH)).json()
        assert first["status"] == "offered"
        assert reply.key == "claim.won"  # type: ignore[union-attr]
        assert second["status"] == LeadStatus.UNMATCHED.value
    finally:
        await runtime.close()
