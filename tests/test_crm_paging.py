"""``GET /api/leads?updated_since=`` pages through 10,000 leads while other leads change.

No lead is skipped and none comes twice: leads that change while the client pages move
behind the cursor and come once, with their new state; leads changed before
``updated_since`` and changed again meanwhile come once too. On PostgreSQL a transaction
that stays open while others commit (and the client pages past them) is not skipped
either: change numbers follow commit order, not the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from bot.actors import Actor
from bot.clock import ManualClock
from bot.crm.changes import next_change
from bot.leads.events import change_status
from bot.leads.staff import release
from bot.models import Channel, HoldReason, Lead, LeadStatus
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory

TOKEN = "paging-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STAFF = Actor.staff(Channel.CLI, name="test")


@pytest.fixture
async def runtime(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = Runtime.create(make_settings(server={"api_token": TOKEN}), clock=clock)
    yield rt
    await rt.close()


async def _held_leads(runtime: Runtime, count: int) -> list[int]:
    """``count`` held leads stored in one transaction (as an import of a file would)."""
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        seq = await next_change(uow.session)
        rows: list[dict[str, Any]] = [
            {
                "status": LeadStatus.HELD,
                "hold_reason": HoldReason.POSSIBLE_DUPLICATE,
                "consent_partner_contact": True,
                "country": "DE",
                "products": ["X200"],
                "created_at": now,
                "updated_at": now,
                "change_seq": seq,
            }
            for _ in range(count)
        ]
        ids = (await uow.session.scalars(insert(Lead).returning(Lead.id), rows)).all()
        await uow.commit()
    return sorted(ids)


async def _release(runtime: Runtime, lead_id: int) -> None:
    async with runtime.uow() as uow:
        await release(uow, lead_id, STAFF)  # no partner: the lead becomes unmatched


class Reader:
    """A CRM client paging with ``updated_since`` and the ``next_cursor`` of each page."""

    def __init__(self, http: httpx.AsyncClient, since: str, limit: int = 400) -> None:
        self.http, self.since, self.limit = http, since, limit
        self.cursor: str | None = None
        self.seen: Counter[int] = Counter()
        self.status: dict[int, str] = {}
        self.pages = 0

    async def page(self) -> dict[str, Any]:
        params: dict[str, Any] = {"updated_since": self.since, "limit": self.limit}
        if self.cursor is not None:
            params["cursor"] = self.cursor
        answer = await self.http.get("/api/leads", params=params, headers=AUTH)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        self.pages += 1
        for item in body["items"]:
            self.seen[item["id"]] += 1
            self.status[item["id"]] = item["status"]
        self.cursor = body["next_cursor"]
        return body

    async def to_the_end(self) -> None:
        while (await self.page())["has_more"]:
            pass


async def test_paging_10000_leads_while_others_change_skips_and_repeats_none(
    runtime: Runtime, clock: ManualClock, database_url: str
) -> None:
    old = await _held_leads(runtime, 100)  # changed before updated_since
    clock.advance(minutes=10)
    since = clock.now()
    window = await _held_leads(runtime, 10_000)
    clock.advance(minutes=1)

    changed_old: list[int] = []
    changed_new: list[int] = []
    late: list[int] = []
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        reader = Reader(http, since.isoformat())
        while True:
            body = await reader.page()
            if reader.pages <= 10:
                # Meanwhile: leads not seen yet change (they move behind the cursor), and
                # leads outside the window change (they come into it).
                unseen = [i for i in window if i not in reader.seen and i not in changed_new]
                for lead_id in unseen[-3:]:
                    await _release(runtime, lead_id)
                    changed_new.append(lead_id)
                changed_old.append(old[reader.pages * 10 - 1])
                await _release(runtime, changed_old[-1])
            if reader.pages == 3 and database_url.startswith("postgresql"):
                late = await _commit_late(runtime, reader, window)
                changed_new += late
            if not body["has_more"]:
                break
        assert reader.pages > 25 or late  # (the late commit's client read ahead)
        await reader.to_the_end()  # whatever committed after the last page
        cursor = reader.cursor
        later = await reader.page()  # nothing changed since: an empty page, same position
        assert later["items"] == [] and later["next_cursor"] == cursor

    assert len(changed_old) >= 3
    assert set(reader.seen) == set(window) | set(changed_old)
    # Only the lead that changed after the client had it comes twice (new state the 2nd time).
    assert [i for i, n in reader.seen.items() if n != 1] == late[:1]
    assert {reader.status[i] for i in [*changed_new, *changed_old]} == {"unmatched"}
    assert {reader.status[i] for i in window if i not in changed_new} == {"held"}


async def _commit_late(runtime: Runtime, reader: Reader, window: list[int]) -> list[int]:
    """A transaction changes lead X (the client has it already) and stays open; meanwhile
    lead Y changes and commits, and the client pages to the end, past Y. X's change,
    committed after that, must still come (an updated_at cursor would skip it)."""
    x = window[0]
    y = [i for i in window if i not in reader.seen][-100]  # not among those changed before
    async with runtime.uow() as slow:
        lead = await slow.session.get(Lead, x)
        assert lead is not None
        lead.hold_reason = None
        change_status(slow, lead, LeadStatus.UNMATCHED, STAFF)
        await slow.session.flush()  # X's row is written (and locked), not committed
        runtime.clock.advance(seconds=1)  # type: ignore[attr-defined]
        await _release(runtime, y)  # Y commits first, with a later time
        await reader.to_the_end()
        assert reader.status[y] == "unmatched" and reader.status[x] == "held"
        await slow.commit()
    return [x, y]
