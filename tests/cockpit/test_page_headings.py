"""What each cockpit page says it is, and how it writes its days — over HTTP, signed in.

Every signed-in page has one ``<h1>`` naming it (the lead's page: which lead), and a
German page writes days the German way in its tables too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clock import ManualClock
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import COCKPIT_SECRET, sign_in
from tests.support.factories import add_partner, store_lead
from tests.support.html_tables import tables

PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]


@pytest.fixture
async def cockpit(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in client; German install, one lead on offer."""
    settings = make_settings(
        cockpit={"secret": COCKPIT_SECRET}, staff={"language": "de"}, products=PRODUCTS
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", name="Alpen-IT Systemhaus GmbH")
        await uow.commit()
    await store_lead(runtime, 1)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        yield http
    await runtime.close()


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/cockpit", "Überblick"), ("/cockpit/campaigns", "Kampagnen"),
     ("/cockpit/partners", "Partner"), ("/cockpit/leads", "Leads"),
     ("/cockpit/leads/1", "Lead #1"), ("/cockpit/leads/0001", "Lead #1")],
)  # fmt: skip
async def test_every_page_has_one_heading_naming_it(
    cockpit: httpx.AsyncClient, path: str, heading: str
) -> None:
    """A lead's page named its lead only in the browser's tab; no page had a top-level
    heading for a screen reader to jump to."""
    page = await cockpit.get(path)
    assert page.status_code == 200, page.text[:300]
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", page.text, re.DOTALL) == [heading]


@pytest.mark.parametrize(
    ("lang", "week", "day"),
    [("de", "Woche ab", r"\d\d\.\d\d\.\d{4}"), ("en", "Week of", r"\d{4}-\d\d-\d\d")],
)
async def test_the_weekly_trend_writes_days_in_the_pages_language(
    cockpit: httpx.AsyncClient, lang: str, week: str, day: str
) -> None:
    """The German overview wrote its weeks as 2026-03-02 while the lead list, a lead's
    page and the chart above the table write 02.03.2026 (the CSV keeps ISO days)."""
    page = await cockpit.get(f"/cockpit?lang={lang}")
    rows = tables(page.text)[0]["trend"]
    assert rows[0][0] == week
    assert rows[1:] and all(re.fullmatch(day, row[0]) for row in rows[1:]), rows
    csv = await cockpit.get("/cockpit/csv/weeks")
    assert re.match(r"week,leads,won,revenue_eur\r?\n\d{4}-\d\d-\d\d,", csv.text), csv.text


async def test_the_overview_names_its_status_table_for_what_it_lists(
    cockpit: httpx.AsyncClient,
) -> None:
    """The table by status lists won and lost leads too: it was headed "Offene Pipeline"."""
    page = await cockpit.get("/cockpit")
    headings = [
        re.sub(r"<[^>]+>", "", h).split()[:3]
        for h in re.findall(r"<h2\b[^>]*>(.*?)</h2>", page.text, re.DOTALL)
    ]
    assert ["Leads", "nach", "Status"] in headings
    assert "Offene Pipeline" not in page.text
