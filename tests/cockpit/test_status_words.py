"""The two meanings of "offer" have two German words wherever a lead's status is named.

A lead put out to the partners (status ``offered``, the open group ``on_offer``) is
"ausgeschrieben"; a partner's sales proposal to the prospect (status ``proposal``) is
"Angebot abgegeben" — "Angebot" alone said both ("im Angebot" beside "Angebot" in the
cockpit's status filter and the report's open line). Shown where staff and reps read them:
the rep's reply and card, the staff feed and ``report`` in the console, the cockpit's
status filter and open pipeline; the English words stay "on offer", "offered", "proposal".
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
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.html_tables import tables

PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]


@pytest.fixture
async def runtime(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Runtime]:
    """German staff; lead 1 at ``proposal`` with P1, lead 2 offered to P1."""
    settings = make_settings(
        cockpit={"secret": COCKPIT_SECRET}, staff={"language": "de"}, products=PRODUCTS
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", name="Alpen-IT")
        await add_rep(uow, "P1", "anna@p1.example", name="Anna", language="de")
        await uow.commit()
    await store_lead(runtime, 1)
    await store_lead(runtime, 2)
    yield runtime
    await runtime.close()


async def test_the_rep_and_the_staff_read_angebot_abgegeben(runtime: Runtime) -> None:
    console = Console(runtime)
    await console("as anna@p1.example")
    await console("claim 1")
    reported = await console("proposal 1")
    assert "✔ Lead #1: Angebot abgegeben." in reported, reported
    assert "■ Lead #1: Brauerei Huber GmbH   [Angebot abgegeben]" in reported, reported

    feed = await console("as staff")
    assert "Lead #1: Alpen-IT meldet „Angebot abgegeben“." in feed, feed
    report = await console("report")
    assert "offen: 1 ausgeschrieben · 1 bei Partnern · 0 warten auf den Hersteller" in report
    assert "im Angebot" not in report and "angeboten" not in report, report
    pipeline = await console("leads")
    assert re.search(r"#1 +Angebot abgegeben ", pipeline), pipeline
    assert re.search(r"#2 +ausgeschrieben ", pipeline), pipeline


def _options(page: str) -> dict[str, list[str]]:
    """The status filter's choices under each of its headings."""
    select = re.search(r'<select name="status">(.*?)</select>', page, re.DOTALL)
    assert select, page[:300]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select.group(1), re.DOTALL)
    return {label: re.findall(r"<option [^>]*>([^<]*)</option>", body) for label, body in groups}


@pytest.mark.parametrize(
    ("lang", "groups", "offered", "proposal", "open_line"),
    [
        ("de", "Offene Leads", "ausgeschrieben", "Angebot abgegeben",
         "offen: 1 ausgeschrieben · 1 bei Partnern · 0 warten auf den Hersteller"),
        ("en", "Open leads", "offered", "proposal",
         "open: 1 on offer · 1 with partners · 0 waiting for staff"),
    ],
)  # fmt: skip
async def test_the_cockpit_names_each_meaning_by_its_own_word(
    runtime: Runtime, lang: str, groups: str, offered: str, proposal: str, open_line: str
) -> None:
    console = Console(runtime)
    for line in ("as anna@p1.example", "claim 1", "proposal 1"):
        await console(line)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        leads = await http.get(f"/cockpit/leads?lang={lang}")
        overview = await http.get(f"/cockpit?lang={lang}")
    assert leads.status_code == 200 and overview.status_code == 200

    options = _options(leads.text)
    assert list(options) == [groups, "Status"]  # the open groups, then every status
    statuses = options["Status"]
    assert offered in statuses and proposal in statuses
    if lang == "de":
        assert options[groups][2] == "ausgeschrieben"  # the group of the offered leads
        every = options[groups] + statuses
        assert not {"Angebot", "im Angebot", "angeboten"} & set(every), every

    assert open_line in overview.text
    shown = tables(overview.text)[0]["open"][1:]
    assert [offered, "1"] in shown and [proposal, "1"] in shown, shown
