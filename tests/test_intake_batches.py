"""API leads that arrive together are stored together, and each still gets its own answer.

While the database is busy (another connection holds it: on SQLite the write lock, on
PostgreSQL the leads table), leads posted meanwhile queue up; once it is free they are
stored in one transaction (bot/intake/batches.py). What a client sees must not change:
a repeated external_id gets the first lead, an erased one 410, a second lead of the same
contact is held as a possible duplicate, and a lead the database refuses fails alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.db import create_engine_async, is_sqlite
from bot.models import Lead, LeadPersonalData
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import INTAKE_AUTH as AUTH
from tests.support.factories import lead_payload

HANG_GUARD_SECONDS = 20  # only stops a hang


@pytest.fixture
async def http(busy_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(busy_runtime))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://leadbot") as client,
        asyncio.timeout(HANG_GUARD_SECONDS),
    ):
        yield client


def lead(n: int, **overrides: Any) -> dict[str, Any]:
    fields = {
        "external_id": f"batch-{n}",
        "company.name": f"Batch {n} GmbH",
        "company.domain": f"batch-{n}.example",
        "contact.email": f"buyer@batch-{n}.example",
    }
    return lead_payload(**{**fields, **overrides})


@asynccontextmanager
async def database_held(
    settings: Settings, pg_lock: str = "LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE"
) -> AsyncIterator[None]:
    """Another connection keeps the bot from writing new leads until the block ends: on
    SQLite the write lock (intake begins with it), on PostgreSQL ``pg_lock``."""
    engine = create_engine_async(settings.database, pooled=False)
    try:
        async with engine.connect() as connection:
            if is_sqlite(settings.database.url):
                await connection.execute(select(1))  # BEGIN IMMEDIATE: the write lock
            else:
                await connection.execute(text(pg_lock))
            yield
            await connection.rollback()
    finally:
        await engine.dispose()


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.005)


async def post_queued(
    http: httpx.AsyncClient, runtime: Runtime, payloads: list[dict[str, Any]]
) -> list[asyncio.Task[httpx.Response]]:
    """Post each lead once the one before is queued, so they queue in this order."""
    tasks = []
    for payload in payloads:
        before = runtime.intake.waiting
        tasks.append(asyncio.create_task(http.post("/api/leads", json=payload, headers=AUTH)))
        await until(lambda before=before: runtime.intake.waiting == before + 1)
    return tasks


async def posted_together(
    http: httpx.AsyncClient, runtime: Runtime, payloads: list[dict[str, Any]]
) -> tuple[list[httpx.Response], int]:
    """Post ``payloads`` while the database is held, then let it go.

    First as many filler leads as there are slots take every slot (each stuck in its own
    transaction), so ``payloads`` wait in the queue and are stored together afterwards.
    Returns the answers and how many transactions stored leads (``/metrics``)."""
    slots = runtime.intake.size
    before = await transactions(http)
    async with database_held(runtime.settings):
        fillers = [
            asyncio.create_task(http.post("/api/leads", json=lead(900 + n), headers=AUTH))
            for n in range(slots)
        ]
        await until(lambda: runtime.intake.transactions == before + slots)
        tasks = await post_queued(http, runtime, payloads)
    answers = await asyncio.gather(*tasks)
    assert [f.status_code for f in await asyncio.gather(*fillers)] == [201] * slots
    return answers, await transactions(http) - before - slots


async def transactions(http: httpx.AsyncClient) -> int:
    """How many transactions have stored API leads, as ``/metrics`` tells."""
    metrics = (await http.get("/metrics")).text.splitlines()
    [batches] = [m for m in metrics if m.startswith("leadbot_api_lead_batches_total ")]
    return int(float(batches.split()[1]))


async def test_leads_posted_together_are_stored_in_one_transaction_each_answered_as_alone(
    http: httpx.AsyncClient, busy_runtime: Runtime
) -> None:
    erased = (await http.post("/api/leads", json=lead(99), headers=AUTH)).json()["id"]
    assert (await http.delete(f"/api/leads/{erased}", headers=AUTH)).status_code == 200
    payloads = [
        lead(1),
        lead(2),
        lead(1),  # the same external_id again: the first one's lead
        lead(99),  # an erased lead's external_id: refused
        lead(3, **{"contact.email": "buyer@batch-2.example"}),  # lead 2's contact
        lead(4),
    ]

    answers, transactions = await posted_together(http, busy_runtime, payloads)

    assert transactions == 1
    codes = [a.status_code for a in answers]
    assert codes == [201, 201, 200, 410, 201, 201], [a.text for a in answers]
    first, second, again, gone, same_contact, last = (a.json() for a in answers)
    assert again["id"] == first["id"] and again["status"] == "offered"
    assert gone["detail"].startswith(f"external_id 'batch-99' belonged to lead {erased}")
    assert same_contact["status"] == "held"
    assert {first["status"], second["status"], last["status"]} == {"offered"}
    async with busy_runtime.uow() as uow:
        held = await uow.session.get(Lead, same_contact["id"])
        assert held is not None and held.duplicate_of_id == second["id"]
        stored = await uow.session.scalar(select(func.count()).select_from(Lead))
    assert stored == 1 + len(codes) + busy_runtime.intake.size - 2  # the erased, the new, fillers


REFUSE_SQLITE = """
CREATE TRIGGER refuse_boom BEFORE INSERT ON lead_personal_data
WHEN NEW.company_name = 'Boom AG'
BEGIN SELECT RAISE(ABORT, 'refused by the test''s trigger'); END
"""
REFUSE_POSTGRES = (
    """
    CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.company_name = 'Boom AG' THEN RAISE EXCEPTION 'refused by the test''s trigger';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER refuse_boom BEFORE INSERT ON lead_personal_data
    FOR EACH ROW EXECUTE FUNCTION refuse_boom()
    """,
)


async def test_a_lead_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(
    http: httpx.AsyncClient, busy_runtime: Runtime
) -> None:
    async with busy_runtime.engine.begin() as connection:
        sqlite = is_sqlite(busy_runtime.settings.database.url)
        for statement in (REFUSE_SQLITE,) if sqlite else REFUSE_POSTGRES:
            await connection.execute(text(statement))
    payloads = [lead(1), lead(2, **{"company.name": "Boom AG"}), lead(3)]

    answers, _transactions = await posted_together(http, busy_runtime, payloads)

    assert [a.status_code for a in answers] == [201, 500, 201]
    assert answers[1].json() == {"detail": "internal error; the lead was not stored"}
    async with busy_runtime.uow() as uow:
        names = set(await uow.session.scalars(select(LeadPersonalData.company_name)))
        external_ids = set(await uow.session.scalars(select(Lead.external_id)))
    assert {"Batch 1 GmbH", "Batch 3 GmbH"} <= names and "Boom AG" not in names
    assert "batch-2" not in external_ids
    metrics = (await http.get("/metrics")).text.splitlines()
    assert 'leadbot_api_leads_total{result="error"} 1' in metrics


async def test_a_client_that_hangs_up_while_queued_leaves_the_queue_and_nothing_is_stored(
    http: httpx.AsyncClient, busy_runtime: Runtime
) -> None:
    async with database_held(busy_runtime.settings):
        fillers = [
            asyncio.create_task(http.post("/api/leads", json=lead(900 + n), headers=AUTH))
            for n in range(busy_runtime.intake.size)
        ]
        await until(lambda: busy_runtime.intake.transactions == busy_runtime.intake.size)
        first, gone, last = await post_queued(http, busy_runtime, [lead(1), lead(2), lead(3)])
        gone.cancel()
        await until(lambda: busy_runtime.intake.waiting == 2)
    answers = await asyncio.gather(first, last, *fillers)
    assert {a.status_code for a in answers} == {201}
    async with busy_runtime.uow() as uow:
        external_ids = set(await uow.session.scalars(select(Lead.external_id)))
    assert {"batch-1", "batch-3"} <= external_ids and "batch-2" not in external_ids


async def test_every_batch_counts_whatever_became_of_its_leads_and_metrics_says_so(
    http: httpx.AsyncClient, busy_runtime: Runtime
) -> None:
    """``leadbot_api_lead_batches_total`` counts batches (transactions), not leads stored:
    a lead already known goes through a batch too; an invalid body never reaches one."""
    before = await transactions(http)
    assert (await http.post("/api/leads", json=lead(1), headers=AUTH)).status_code == 201
    assert (await http.post("/api/leads", json=lead(1), headers=AUTH)).status_code == 200
    assert (await http.post("/api/leads", json={"colour": 1}, headers=AUTH)).status_code == 422
    assert await transactions(http) == before + 2
    metrics = (await http.get("/metrics")).text
    [help_line] = [
        line
        for line in metrics.splitlines()
        if line.startswith("# HELP leadbot_api_lead_batches_total ")
    ]
    assert "whatever their outcome (new, already known, erased or failed)" in help_line
