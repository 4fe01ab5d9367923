"""Text stored before the input rules got stricter is shown without control characters.

The API now refuses a direction override inside a value, but older rows can hold one:
``"Good\\u202eliveE"`` would read "GoodEvil". The cockpit's pages, charts and CSV downloads
drop such characters, as the chat renderers do, and keep the rest — umlauts and
right-to-left letters included. The rows are written with SQLAlchemy, past the API.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import update

from bot.clock import ManualClock
from bot.models import Lead, LeadPersonalData
from bot.models.cockpit import CampaignCost
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import cockpit_runtime, sign_in
from tests.support.factories import lead_payload
from tests.support.html_tables import tables

TOKEN = "stored-text-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]

PARTNER = ("Good\u202eliveE", "GoodliveE")  # (stored, shown)
CAMPAIGN = ("Grüße aus \u202dKöln\x1b", "Grüße aus Köln")
FORMULA = ("\u202e=1+2", "=1+2")  # a formula once stripped: a CSV cell must keep it inert
COMPANY = ("Brauerei \u202eHuber\u0085 GmbH", "Brauerei Huber GmbH")
CONTACT = "דוד כהן"  # right-to-left letters, nothing to strip
UNKNOWN_COST = ("Messe\u202e 2025", "Messe 2025")
STAFF = ("anna\u202eadmin", "annaadmin")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
async def cockpit(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as a staff member with an override in the name, and two leads
    offered to a partner whose stored name, campaigns and company hold control characters."""
    runtime = await cockpit_runtime(
        make_settings, clock, api_token=TOKEN, products=PRODUCTS, partner=PARTNER[0]
    )
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        for n in (1, 2):
            lead = lead_payload(
                external_id=f"crm-{n}",
                **{"company.domain": f"firma-{n}.example", "contact.email": f"c{n}@firma-{n}.de"},
            )
            created = await http.post("/api/leads", json=lead, headers=AUTH)
            assert created.status_code == 201 and created.json()["id"] == n, created.text
        async with runtime.uow() as uow:
            session = uow.session
            await session.execute(
                update(Lead).where(Lead.id == 1).values(campaign=CAMPAIGN[0], owner_partner_id="P1")
            )
            await session.execute(update(Lead).where(Lead.id == 2).values(campaign=FORMULA[0]))
            await session.execute(
                update(LeadPersonalData)
                .where(LeadPersonalData.lead_id == 1)
                .values(company_name=COMPANY[0], contact_name=CONTACT)
            )
            session.add(CampaignCost(campaign=UNKNOWN_COST[0], cost_eur=Decimal(500)))
            await uow.commit()
        await sign_in(http, runtime, STAFF[0])
        yield http
    await runtime.close()


async def _get(http: httpx.AsyncClient, path: str) -> str:
    answer = await http.get(path)
    assert answer.status_code == 200, (path, answer.text[:300])
    assert CONTROLS.search(answer.text) is None, (path, CONTROLS.findall(answer.text))
    return answer.text


def _svgs(page: str) -> str:
    return "".join(re.findall(r"<svg.*?</svg>", page, re.DOTALL))


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_pages_and_charts_show_stored_text_without_control_characters(
    cockpit: httpx.AsyncClient,
) -> None:
    overview = await _get(cockpit, "/cockpit")
    assert f"Signed in as {STAFF[1]} ·" in overview

    partners = await _get(cockpit, "/cockpit/partners")
    assert tables(partners)[0]["partners"][1][0] == PARTNER[1]
    assert PARTNER[1] in _svgs(partners)

    campaigns = await _get(cockpit, "/cockpit/campaigns")
    names = [row[0] for row in tables(campaigns)[0]["campaigns"][1:]]
    assert sorted(names) == sorted([CAMPAIGN[1], FORMULA[1]])
    assert CAMPAIGN[1] in _svgs(campaigns)
    assert f"“{UNKNOWN_COST[1]}” names no campaign" in campaigns

    listed = tables(await _get(cockpit, "/cockpit/leads"))[0]["leads"]
    first = next(row for row in listed if row[0] == "#1")
    assert first[3] == CAMPAIGN[1] and first[4] == PARTNER[1]

    lead = await _get(cockpit, "/cockpit/leads/1")
    assert f"<dd>{CAMPAIGN[1]}</dd>" in lead and f"<dd>{PARTNER[1]}</dd>" in lead
    assert COMPANY[1] in lead and CONTACT in lead


async def test_csv_downloads_show_stored_text_without_control_characters(
    cockpit: httpx.AsyncClient,
) -> None:
    partners = _csv(await _get(cockpit, "/cockpit/csv/partners"))
    assert [row["name"] for row in partners] == [PARTNER[1]]

    campaigns = _csv(await _get(cockpit, "/cockpit/csv/campaigns"))
    assert sorted(row["campaign"] for row in campaigns) == sorted([CAMPAIGN[1], "'" + FORMULA[1]])

    leads = _csv(await _get(cockpit, "/cockpit/csv/leads"))
    assert {row["id"]: row["campaign"] for row in leads} == {
        "1": CAMPAIGN[1],
        "2": "'" + FORMULA[1],
    }
