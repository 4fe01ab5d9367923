"""The API's ``unknown_partner`` warning when the partners cannot be read.

``POST /api/leads`` stores the lead first and commits; only then does it read which of
the partners an unmatched lead's consent names are active (:mod:`bot.intake.partner_warnings`).
If that read fails, the lead is stored all the same: the answer is ``201`` with the lead's
id and status, without the warning, and the log says the warning could not be read.

PostgreSQL only: the read is made to fail as it can in production: another session
(a migration, an operator's ``LOCK TABLE``) holds ``partners`` exclusively and the read
runs into ``statement_timeout``. On SQLite a reader never waits for a lock, so nothing
short of a broken database fails that read alone. (``leadbot leads import`` reads the
warnings inside the file's one transaction: a failure there stores nothing, as any
failure half-way through a file does, bot/intake/importer.py.)

The warning itself: tests/test_crm_api.py::
test_an_unmatched_lead_names_the_allowed_partners_that_are_not_partners.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import create_engine_async
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.factories import add_partner, lead_payload

TOKEN = "warn-token-81c4"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STATEMENT_SECONDS = 3.0
"""The bot's ``statement_timeout`` (the default): how long the warning's read waits for
the lock — and the store for the counter, so not much less on a busy machine."""
WAITING_FOR_THE_COUNTER = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query LIKE 'UPDATE lead_change_counter%'"
)
LOCK_QUEUED = (
    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
    " WHERE c.relname = 'partners' AND l.mode = 'AccessExclusiveLock' AND NOT l.granted"
)


def _naming_p9(n: int) -> dict[str, Any]:
    """A lead whose consent names only P9, which is no partner: stored as unmatched."""
    return lead_payload(
        external_id=f"crm-w{n}",
        **{
            "consent.allowed_partners": ["P9"],
            "contact.email": f"w{n}@firma-w{n}.example",
            "company.domain": f"firma-w{n}.example",
        },
    )


async def _until(monitor: AsyncConnection, query: str) -> None:
    """Wait until ``query`` counts something (each time in a new transaction: PostgreSQL
    keeps a transaction's first view of ``pg_stat_activity``)."""
    async with asyncio.timeout(10):
        while not (await monitor.execute(text(query))).scalar():
            await monitor.rollback()
            await asyncio.sleep(0.02)
        await monitor.rollback()


@asynccontextmanager
async def _partners_locked_after_the_store(
    settings: Settings, store: Callable[[], Awaitable[httpx.Response]]
) -> AsyncIterator[asyncio.Task[httpx.Response]]:
    """Run ``store`` so that ``partners`` is locked exclusively by another session from the
    moment its lead is committed until the block ends.

    The store reads ``partners`` (the directory's freshness check) and then bumps the
    change counter. The counter's row is held, so the store waits there with its share of
    ``partners``; another session asks for ``partners`` exclusively and queues behind it;
    the counter is let go: the store commits, the exclusive lock is granted at once, and
    the warning's read that follows waits for it.
    """
    engine = create_engine_async(settings.database, pooled=False)
    try:
        async with (
            engine.connect() as counter,
            engine.connect() as locker,
            engine.connect() as monitor,
        ):
            await counter.execute(text("SELECT value FROM lead_change_counter FOR UPDATE"))
            stored = asyncio.create_task(store())
            await _until(monitor, WAITING_FOR_THE_COUNTER)
            lock = asyncio.create_task(
                locker.execute(text("LOCK TABLE partners IN ACCESS EXCLUSIVE MODE"))
            )
            await _until(monitor, LOCK_QUEUED)
            await counter.rollback()
            await lock
            try:
                yield stored
            finally:
                await asyncio.wait([stored])
                await locker.rollback()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_lead_is_stored_and_answered_when_its_partner_warning_cannot_be_read(
    make_settings: SettingsFactory, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        server={"api_token": TOKEN},
        products=[{"id": "X200", "line": "X-series"}],
        database={"statement_timeout_seconds": STATEMENT_SECONDS},
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await uow.commit()
    transport = httpx.ASGITransport(app=create_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:

            async def post(n: int) -> httpx.Response:
                return await http.post("/api/leads", json=_naming_p9(n), headers=AUTH)

            with caplog.at_level(logging.WARNING, logger="bot.web.api"):
                async with _partners_locked_after_the_store(settings, lambda: post(1)) as task:
                    answer = await task

            assert answer.status_code == 201, answer.text
            assert answer.json()["status"] == "unmatched"
            assert answer.json()["warnings"] == []  # not read: not said, and no error either
            warned = [r.getMessage() for r in caplog.records if r.name == "bot.web.api"]
            assert len(warned) == 1 and "could not be read: DBAPIError" in warned[0], warned
            stored = await http.get(f"/api/leads/{answer.json()['id']}", headers=AUTH)
            assert stored.status_code == 200, stored.text
            assert stored.json()["status"] == "unmatched"

            again = await post(2)  # nothing holds partners any more: the warning is back
            assert again.status_code == 201, again.text
            [warning] = again.json()["warnings"]
            assert warning["type"] == "unknown_partner"
    finally:
        await runtime.close()
