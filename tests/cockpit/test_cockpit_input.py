"""Odd names and hostile parameters for the cockpit, over HTTP on SQLite and PostgreSQL.

A ``$`` in a campaign or partner name is drawn as it is (not as mathtext); a date the
range cannot hold, a lead id in other digits than 0-9 and a control character in a filter
get a clear 4xx page naming what is wrong — never a 500.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from bot.actors import Actor
from bot.clock import ManualClock
from bot.leads.assign import assign
from bot.models import Channel
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import cockpit_runtime, sign_in
from tests.support.factories import add_partner, lead_payload
from tests.support.html_tables import tables

TOKEN = "cockpit-input-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
MATH_CAMPAIGN = "Promo $\\frac{1}$ spring"  # mathtext cannot parse it: was a 500
DOLLAR_CAMPAIGN = "Save $5 or $10"  # mathtext would draw "5 or " in italics
MATH_PARTNER = "Partner $\\frac{x}$ GmbH"
TWIN = "Elektro Berger GmbH"
PAGES = ("", "/campaigns", "/partners", "/leads", "/csv/leads", "/csv/campaigns")


@pytest.fixture
async def cockpit(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in client of the app, with one partner whose name holds a ``$``."""
    runtime = await cockpit_runtime(
        make_settings, clock, api_token=TOKEN, products=PRODUCTS, partner=MATH_PARTNER
    )
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        yield http
    await runtime.close()


def _svgs(page: httpx.Response) -> str:
    return "".join(re.findall(r"<svg.*?</svg>", page.text, re.DOTALL))


async def test_dollar_signs_in_names_are_drawn_literally(cockpit: httpx.AsyncClient) -> None:
    for n, campaign in enumerate((MATH_CAMPAIGN, DOLLAR_CAMPAIGN)):
        lead = lead_payload(
            campaign=campaign,
            external_id=f"crm-{n}",
            **{"company.domain": f"firma-{n}.example", "contact.email": f"c{n}@firma-{n}.de"},
        )
        created = await cockpit.post("/api/leads", json=lead, headers=AUTH)
        assert created.status_code == 201, created.text

    campaigns = await cockpit.get("/cockpit/campaigns")
    assert campaigns.status_code == 200, campaigns.text
    assert MATH_CAMPAIGN in _svgs(campaigns) and DOLLAR_CAMPAIGN in _svgs(campaigns)
    partners = await cockpit.get("/cockpit/partners")
    assert partners.status_code == 200, partners.text
    assert MATH_PARTNER in _svgs(partners)
    assert (await cockpit.get("/cockpit")).status_code == 200


async def test_partners_of_the_same_name_get_a_bar_each(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    """Two partners called alike (two branches of one dealer) are two rows in the table and
    two bars in the chart — not one bar adding up both."""
    runtime = await cockpit_runtime(
        make_settings,
        clock,
        api_token=TOKEN,
        products=PRODUCTS,
        partner=TWIN,
        distribution={"waves": [{"size": 0, "minutes": 60}]},  # both get the teaser
    )
    async with runtime.uow() as uow:
        await add_partner(uow, "P2", name=TWIN)
        await uow.commit()
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        created = await http.post("/api/leads", json=lead_payload(), headers=AUTH)
        assert created.status_code == 201, created.text
        partners = await http.get("/cockpit/partners")
    await runtime.close()
    assert partners.status_code == 200, partners.text
    drawn = re.findall(r"<text\b[^>]*>([^<]*)</text>", _svgs(partners))
    assert drawn.count(TWIN) == 2, drawn


async def test_the_timeline_says_who_acted_in_the_readers_words(
    cockpit: httpx.AsyncClient,
) -> None:
    """A lead's timeline names who acted in the page's language: staff known by no name
    are "Mitarbeitende", not the stored stand-in "staff: staff"."""
    created = await cockpit.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert created.status_code == 201, created.text
    runtime = cockpit._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.uow() as uow:  # commits
        await assign(uow, 1, "P1", Actor.staff(Channel.SLACK, user_id="U0STAFF"))

    page = await cockpit.get("/cockpit/leads/1?lang=de")
    assert page.status_code == 200, page.text[:300]
    who = {row[2] for row in tables(page.text)[0]["timeline"][1:]}
    assert "Mitarbeitende" in who, who
    assert not any("staff" in cell for cell in who), who


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("to=9999-12-31", "To: 9999-12-31"),
        ("from=0001-01-01&to=0001-01-02", "To: 0001-01-02"),
        ("from=0001-01-01&to=2026-01-02", "From: 0001-01-01"),
        ("to=0001-01-05", "To: 0001-01-05"),
        ("from=9999-12-01&to=9999-12-31", "To: 9999-12-31"),
    ],
)
async def test_days_the_range_cannot_hold_are_400_naming_them(
    cockpit: httpx.AsyncClient, query: str, named: str
) -> None:
    for page in PAGES:
        refused = await cockpit.get(f"/cockpit{page}?{query}")
        assert refused.status_code == 400, (page, refused.text)
        assert f"{named} is out of range" in refused.text, page
        assert "use a date from 1970-01-01 to 9998-12-31" in refused.text, page


async def test_a_lead_id_in_other_digits_is_no_lead(cockpit: httpx.AsyncClient) -> None:
    created = await cockpit.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert created.status_code == 201 and created.json()["id"] == 1
    assert (await cockpit.get("/cockpit/leads/1")).status_code == 200
    for other in ("%C2%B2", "%D9%A1", "%EF%BC%91", "1_0", "+1", " 1"):  # ², ١, １
        page = await cockpit.get(f"/cockpit/leads/{other}")
        assert page.status_code == 404, other
        assert "There is no lead #" in page.text
    for other in ("%D9%A1", "1_0"):
        page = await cockpit.get(f"/cockpit/leads?page={other}")
        assert page.status_code == 400 and "Page: " in page.text, other


async def test_an_address_that_is_no_lead_is_not_printed_back_whole(
    cockpit: httpx.AsyncClient,
) -> None:
    """Whatever follows ``/cockpit/leads/`` was printed into the 404 page whole: a link
    such as ``…/leads/1 has moved. Sign in again at https://evil.example/ with …`` put
    its sentence onto a page of the cockpit's own address. Like every value quoted back,
    it is cut to its start now (``bot.plaintext.quoted``)."""
    text = "1 has moved. To see it, sign in again at evil.example with your password " * 3
    page = await cockpit.get("/cockpit/leads/" + quote(text))
    assert page.status_code == 404
    assert f"There is no lead #{text[:60]}…" in page.text
    assert "with your password" not in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/cockpit/leads?campaign=a%00b",
        "/cockpit/leads?partner=a%00b",
        "/cockpit/csv/leads?campaign=%00",
        "/cockpit/csv/leads?partner=P1%1B",
    ],
)
async def test_control_characters_in_filters_are_400_naming_the_filter(
    cockpit: httpx.AsyncClient, path: str
) -> None:
    refused = await cockpit.get(path)
    assert refused.status_code == 400, refused.text
    name = "Partner" if "partner=" in path else "Campaign"  # the filter's label on the page
    assert f"{name}: contains a control character" in refused.text


@pytest.mark.parametrize("page", ["0", "100001", "999999999999999999999", "0" * 30 + "7" * 30])
async def test_a_page_number_out_of_range_is_said_to_be_one(
    cockpit: httpx.AsyncClient, page: str
) -> None:
    """Digits that are no page — too many for one, or 0 — are a number out of range, named
    by the pager's label: a 21-digit page was called "not a number"."""
    for path in ("/cockpit/leads", "/cockpit/csv/leads"):
        refused = await cockpit.get(f"{path}?page={page}")
        assert refused.status_code == 400, refused.text
        assert "is out of range; use a page from 1 to 100000" in refused.text, refused.text
        assert "not a number" not in refused.text
    assert (await cockpit.get("/cockpit/leads?page=000001")).status_code == 200  # page 1
