"""The lead list as staff use it: filter, switch the language, page, find a partner.

Over HTTP on SQLite and PostgreSQL, signed in with a one-time link like staff: lead 1 is
claimed by Alpen-IT's rep, leads 2 and 3 are on offer.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clock import ManualClock
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import COCKPIT_SECRET, sign_in
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.html_tables import tables

PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
PARTNER = "Alpen-IT Systemhaus GmbH"


@pytest.fixture
async def cockpit(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in client; German install, no Accept-Language (so German pages)."""
    settings = make_settings(
        cockpit={"secret": COCKPIT_SECRET}, staff={"language": "de"}, products=PRODUCTS
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", name=PARTNER)
        await add_rep(uow, "P1", "anna@p1.example", name="Anna", language="de")
        await uow.commit()
    for n in (1, 2, 3):
        await store_lead(runtime, n)
    console = Console(runtime)
    for line in ("as anna@p1.example", "claim 1"):
        await console(line)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        yield http
    await runtime.close()


def _lead_ids(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text[:300]
    return [row[0] for row in tables(page.text)[0].get("leads", [])[1:]]


async def test_switching_the_language_keeps_the_filter(cockpit: httpx.AsyncClient) -> None:
    """The header's *English* link on a filtered list shows the same list in English — it
    used to carry only the date range, so the filter was gone after the switch."""
    german = await cockpit.get("/cockpit/leads?status=claimed&campaign=Hannover+Messe+2026")
    assert _lead_ids(german) == ["#1"]
    link = re.search(r'<a href="(\?[^"]*)"[^>]*>English</a>', german.text)
    assert link, german.text[:2000]

    english = await cockpit.get("/cockpit/leads" + html.unescape(link.group(1)))
    assert '<html lang="en">' in english.text
    assert _lead_ids(english) == ["#1"]
    assert '<option value="claimed" selected>' in english.text
    assert 'value="Hannover Messe 2026"' in english.text


async def test_the_partner_filter_takes_the_name_the_list_shows(
    cockpit: httpx.AsyncClient,
) -> None:
    """The list and the partners page show partners by name; typing that name into the
    *Partner* filter found nothing ("Nichts in diesem Zeitraum."), only the id — shown
    nowhere on the page — worked. Both work now, and the form suggests the names."""
    for partner in (PARTNER, "P1"):
        found = await cockpit.get("/cockpit/leads", params={"partner": partner})
        assert _lead_ids(found) == ["#1"], partner
        csv = await cockpit.get("/cockpit/csv/leads", params={"partner": partner})
        assert csv.status_code == 200 and len(csv.text.splitlines()) == 2, csv.text
    assert _lead_ids(await cockpit.get("/cockpit/leads", params={"partner": "Alpen"})) == []

    page = await cockpit.get("/cockpit/leads")
    assert 'name="partner"' in page.text and 'list="partners"' in page.text
    suggested = re.search(r'<datalist id="partners">(.*?)</datalist>', page.text, re.DOTALL)
    assert suggested and f'<option value="{PARTNER}">' in suggested.group(1)


@pytest.mark.parametrize(
    ("lang", "one", "three"),
    [("de", "Seite 1 von 1 (1 Lead)", "Seite 1 von 1 (3 Leads)"),
     ("en", "Page 1 of 1 (1 lead)", "Page 1 of 1 (3 leads)")],
)  # fmt: skip
async def test_the_pager_counts_one_lead_as_one(
    cockpit: httpx.AsyncClient, lang: str, one: str, three: str
) -> None:
    """ "(1 Leads)" / "(1 leads)" under a list of one."""
    single = await cockpit.get(f"/cockpit/leads?status=claimed&lang={lang}")
    assert one in single.text, single.text[-600:]
    every = await cockpit.get(f"/cockpit/leads?lang={lang}")
    assert three in every.text, every.text[-600:]


@pytest.mark.parametrize(
    ("lang", "no_match", "past_end"),
    [("de", "Keine Leads in diesem Zeitraum passen zum Filter.",
      "Seite 2 gibt es nicht: Die Liste hat 1 Seite."),
     ("en", "No leads in this period match the filter.",
      "There is no page 2: the list has 1 page.")],
)  # fmt: skip
async def test_an_empty_list_says_why(
    cockpit: httpx.AsyncClient, lang: str, no_match: str, past_end: str
) -> None:
    """A filter that matches nothing, or a page past the last one, said "Nothing in this
    period" — while the period held three leads."""
    unmatched = await cockpit.get(f"/cockpit/leads?partner=Alpen&lang={lang}")
    assert _lead_ids(unmatched) == [] and no_match in unmatched.text
    beyond = await cockpit.get(f"/cockpit/leads?page=2&lang={lang}")
    assert _lead_ids(beyond) == [] and past_end in beyond.text
    assert 'href="/cockpit/leads?from=' in beyond.text and "page=1" in beyond.text
    nothing = await cockpit.get(f"/cockpit/leads?from=2020-01-01&to=2020-01-31&lang={lang}")
    words = {"de": "Nichts in diesem Zeitraum.", "en": "Nothing in this period."}
    assert words[lang] in nothing.text  # no filter: the period is empty
