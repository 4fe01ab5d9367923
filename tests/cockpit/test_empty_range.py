"""The overview of a range without leads: charts that start at zero, in whole leads.

An empty range (a new install, a quiet week in the digest) drew the weekly trend with a
lead axis from −0.04 to 0.04 and a revenue axis reading "0 €" six times.
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


@pytest.fixture
async def cockpit(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(cockpit={"secret": COCKPIT_SECRET}, staff={"language": "de"})
    runtime = Runtime.create(settings, clock=clock)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        yield http
    await runtime.close()


def _chart_texts(page: str, section: str) -> list[str]:
    body = page[page.index(f'<section id="{section}">') :]
    svg = re.search(r"<svg.*?</svg>", body, re.DOTALL)
    assert svg, body[:300]
    return re.findall(r"<text\b[^>]*>([^<]*)</text>", svg.group(0))


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_the_trend_of_an_empty_range_counts_whole_leads_from_zero(
    cockpit: httpx.AsyncClient, lang: str
) -> None:
    page = await cockpit.get(f"/cockpit?from=2026-01-05&to=2026-02-01&lang={lang}")
    assert page.status_code == 200, page.text[:300]
    texts = _chart_texts(page.text, "trend")
    # The lead axis' ticks (not the weeks below it: "05.01." or "01-05").
    numbers = [text for text in texts if re.fullmatch(r"[−\-]?[0-9]+(?:[.,][0-9]+)?", text)]
    assert numbers and numbers[0] == "0", texts
    assert all(re.fullmatch(r"[0-9]+", n) for n in numbers), texts  # no −0.04, no 0.02
    euros = [text for text in texts if text.endswith("€")]
    assert euros and len(euros) == len(set(euros)), euros  # not "0 €" six times
