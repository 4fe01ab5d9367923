"""The cockpit's charts tell their series apart without colour (WCAG 1.4.1).

A colour-blind reader, or a grey-scale print, matches a bar to its legend entry by its
pattern: every series but the first has a hatch of its own, in the bars and the legend.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clock import ManualClock
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import cockpit_runtime, sign_in
from tests.support.factories import lead_payload

TOKEN = "chart-patterns-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]


@pytest.fixture
async def cockpit(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    runtime = await cockpit_runtime(
        make_settings, clock, api_token=TOKEN, products=PRODUCTS, partner="Elektro Berger GmbH"
    )
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        created = await http.post(
            "/api/leads", json=lead_payload(campaign="Hannover Messe"), headers=AUTH
        )
        assert created.status_code == 201, created.text
        yield http
    await runtime.close()


def _patterns(page: httpx.Response, section: str) -> set[str]:
    """The hatch patterns the chart in ``section`` fills something with."""
    part = page.text[page.text.index(f'id="{section}"') :]
    svg = re.search(r"<svg.*?</svg>", part, re.DOTALL)
    assert svg, part[:300]
    defined = set(re.findall(r'<pattern id="([^"]+)"', svg.group(0)))
    used = set(re.findall(r"fill: ?url\(#([^)]+)\)", svg.group(0)))
    return defined & used


async def test_partner_chart_series_each_have_a_pattern(cockpit: httpx.AsyncClient) -> None:
    page = await cockpit.get("/cockpit/partners")
    assert page.status_code == 200, page.text
    # claims solid; expired, recalled, handed back, declined: four patterns of their own
    assert len(_patterns(page, "partners")) == 4


async def test_campaign_chart_cost_is_hatched(cockpit: httpx.AsyncClient) -> None:
    page = await cockpit.get("/cockpit/campaigns")
    assert page.status_code == 200, page.text
    assert len(_patterns(page, "campaigns")) == 1
