"""A lead's timeline on its cockpit page in the reader's words, over HTTP on SQLite and
PostgreSQL.

The audit trail keeps machine words — kinds (``wave``), channels (``api``), detail keys
and codes (``offer_id``, ``reason=conflict``, ``expires_at`` as UTC ISO) — and the CRM API
hands them on as stored. The page shows every kind and channel, the known details and the
reasons in the page's language, and times as local time in ``[distribution] timezone``
(Europe/Berlin: the test clock's 08:00 UTC is 09:00).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.cli.operations import CLI_STAFF
from bot.clock import ManualClock
from bot.leads.assign import assign
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import cockpit_runtime, sign_in
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.html_tables import tables

TOKEN = "timeline-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
AT = "02.03.2026 09:00"


@dataclass
class Cockpit:
    http: httpx.AsyncClient
    runtime: Runtime


@pytest.fixture
async def cockpit(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Cockpit]:
    """Signed in; two partners with a rep each, one wave of 60 minutes to everyone."""
    runtime = await cockpit_runtime(
        make_settings,
        clock,
        api_token=TOKEN,
        products=PRODUCTS,
        partner="Alpen-IT",
        distribution={"waves": [{"size": 0, "minutes": 60}]},
    )
    async with runtime.uow() as uow:
        await add_partner(uow, "P2", name="Nord")
        await add_rep(uow, "P1", "anna@p1.example", name="Anna")
        await add_rep(uow, "P2", "ben@p2.example", name="Ben")
        await uow.commit()
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        await sign_in(http, runtime)
        yield Cockpit(http, runtime)
    await runtime.close()


async def _a_busy_lead(cockpit: Cockpit) -> None:
    """Lead 1 from the API, declined by Ben, claimed and handed back by Anna, re-offered to
    nobody, assigned to P1 as ``leadbot leads assign`` does (the CLI's own clock would not
    keep the test's order), claimed again, a follow-up, lost."""
    created = await cockpit.http.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert created.status_code == 201, created.text
    console = Console(cockpit.runtime)
    for line in (
        "as ben@p2.example",
        "decline 2 too_far",
        "as anna@p1.example",
        "claim 1",
        "handback 1 conflict",
        "as staff",
        "reoffer 1",
    ):
        await console(line)
    async with cockpit.runtime.uow() as uow:  # as `leadbot leads assign 1 P1` does; commits
        await assign(uow, 1, "P1", CLI_STAFF)
    for line in ("as anna@p1.example", "claim 3", "followup 1 +3d", "lost 1 price Zu teuer"):
        await console(line)


async def _timeline(cockpit: Cockpit, lead: int, lang: str) -> list[list[str]]:
    page = await cockpit.http.get(f"/cockpit/leads/{lead}?lang={lang}")
    assert page.status_code == 200, page.text[:300]
    return tables(page.text)[0]["timeline"]


async def test_every_event_of_the_timeline_is_in_german(cockpit: Cockpit) -> None:
    await _a_busy_lead(cockpit)
    assert await _timeline(cockpit, 1, "de") == [
        ["Wann", "Was", "Wer", "Über", "Partner", "Details"],
        [AT, "eingegangen", "leadbot", "API", "–", "Quelle: trade_fair"],
        [AT, "eingegangen → ausgeschrieben", "leadbot", "API", "–", "Runde 1"],
        [AT, "Welle ausgeschrieben", "leadbot", "API", "–",
         "Runde 1 · Welle 1 · an P1, P2 · läuft bis 02.03.2026 10:00"],
        [AT, "abgelehnt", "Vertrieb: Ben", "Konsole", "P2", "Angebot 2 · Grund: zu weit entfernt"],
        [AT, "ausgeschrieben → übernommen", "Vertrieb: Anna", "Konsole", "P1", "Welle 1 · Angebot 1"],
        [AT, "übernommen → zurückgegeben", "Vertrieb: Anna", "Konsole", "P1",
         "Grund: Interessenkonflikt"],
        [AT, "zurückgegeben → ohne passenden Partner", "leadbot", "Konsole", "–",
         "2 Partner geprüft"],
        [AT, "erneut gesucht: kein passender Partner", "Mitarbeitende", "Konsole", "–",
         "2 Partner geprüft"],
        [AT, "ohne passenden Partner → ausgeschrieben", "Mitarbeitende", "Kommandozeile", "–",
         "zugewiesen an P1"],
        # The filters the assignment overruled, from the checks stored with their English.
        [AT, "zugewiesen", "Mitarbeitende", "Kommandozeile", "P1",
         "Runde 2 · Hinweise: hat diesen Lead schon zurückgegeben"],
        [AT, "ausgeschrieben → übernommen", "Vertrieb: Anna", "Konsole", "P1", "Welle 1 · Angebot 3"],
        [AT, "Wiedervorlage gesetzt", "Vertrieb: Anna", "Konsole", "P1",
         "Wiedervorlage am 05.03.2026"],
        [AT, "übernommen → verloren", "Vertrieb: Anna", "Konsole", "P1",
         "Grund: Preis · Notiz: Zu teuer"],
    ]  # fmt: skip


async def test_the_timeline_in_english_has_words_not_keys(cockpit: Cockpit) -> None:
    await _a_busy_lead(cockpit)
    rows = await _timeline(cockpit, 1, "en")
    at = "2026-03-02 09:00"
    assert rows[0] == ["When", "What", "Who", "Via", "Partner", "Details"]
    assert [at, "wave offered", "leadbot", "API", "–",
            "round 1 · wave 1 · to P1, P2 · open until 2026-03-02 10:00"] in rows  # fmt: skip
    assert [at, "declined", "rep: Ben", "console", "P2", "offer 2 · reason: too far away"] in rows
    assert [at, "claimed → returned", "rep: Anna", "console", "P1",
            "reason: conflict of interest"] in rows  # fmt: skip
    assert [at, "matched again: no eligible partner", "staff", "console", "–",
            "2 partners checked"] in rows  # fmt: skip
    assert [at, "assigned", "staff", "command line", "P1",
            "round 2 · warnings: returned this lead before"] in rows  # fmt: skip
    assert [at, "follow-up set", "rep: Anna", "console", "P1", "follow-up on 2026-03-05"] in rows
    assert rows[-1] == [at, "claimed → lost", "rep: Anna", "console", "P1",
                        "reason: price · note: Zu teuer"]  # fmt: skip
    details = " ".join(row[5] for row in rows)
    for raw in ("=", "offer_id", "expires_at", "too_far", "conflict;", "+00:00"):
        assert raw not in details, raw


async def test_held_leads_say_why_and_a_won_one_its_revenue(cockpit: Cockpit) -> None:
    held = lead_payload(
        external_id="crm-2",
        **{
            "consent.partner_contact": False,
            "company.domain": "zwei.example",
            "contact.email": "a@zwei.example",
        },
    )
    created = await cockpit.http.post("/api/leads", json=held, headers=AUTH)
    assert created.status_code == 201 and created.json()["id"] == 1, created.text
    assert (await _timeline(cockpit, 1, "de"))[2] == [
        AT, "eingegangen → zurückgehalten", "leadbot", "API", "–",
        "Grund: keine Einwilligung zur Weitergabe",
    ]  # fmt: skip
    assert (await _timeline(cockpit, 1, "en"))[2][-1] == "reason: no consent to share"

    again = lead_payload(  # the same company: held as a possible duplicate of lead 1
        external_id="crm-4", **{"company.domain": "zwei.example", "contact.email": "b@zwei.example"}
    )
    created = await cockpit.http.post("/api/leads", json=again, headers=AUTH)
    assert created.status_code == 201 and created.json()["id"] == 2, created.text
    assert (await _timeline(cockpit, 2, "de"))[-1][-1] == "Grund: mögliches Duplikat · von Lead #1"
    assert (await _timeline(cockpit, 2, "en"))[-1][-1] == "reason: possible duplicate · of lead #1"

    second = await cockpit.http.post(
        "/api/leads",
        json=lead_payload(
            external_id="crm-3", **{"company.domain": "d.example", "contact.email": "a@d.example"}
        ),
        headers=AUTH,
    )
    assert second.status_code == 201, second.text
    console = Console(cockpit.runtime)
    for line in ("as anna@p1.example", "claim 1", "won 3 61.000,50"):
        await console(line)
    assert (await _timeline(cockpit, 3, "de"))[-1][1:] == [
        "übernommen → gewonnen", "Vertrieb: Anna", "Konsole", "P1", "Umsatz 61.000,50 €",
    ]  # fmt: skip
    assert (await _timeline(cockpit, 3, "en"))[-1][-1] == "revenue 61,000.50 €"


async def test_the_crm_api_keeps_the_stored_words(cockpit: Cockpit) -> None:
    """The words are the page's: the CRM API's events stay as stored (a contract)."""
    await _a_busy_lead(cockpit)
    lead = await cockpit.http.get("/api/leads/1", headers=AUTH)
    assert lead.status_code == 200, lead.text
    events = lead.json()["events"]
    wave = next(e for e in events if e["kind"] == "wave")
    assert wave["channel"] == "api"
    assert wave["detail"] == {
        "round": 1,
        "wave": 1,
        "partners": ["P1", "P2"],
        "expires_at": "2026-03-02T09:00:00+00:00",
    }
    returned = next(e for e in events if e["to_status"] == "returned")
    assert returned["detail"]["reason"] == "conflict" and returned["channel"] == "console"


async def test_the_timeline_downloads_as_csv_with_the_columns_and_words_of_the_page(
    cockpit: Cockpit,
) -> None:
    """Staff wanted the audit trail as a file: the page links it (CSV and Excel), every
    column of the page in its words, the time as the lead list's ``received`` — and a cell
    a spreadsheet would run as a formula (a partner id ``@P3``) made inert."""
    await _a_busy_lead(cockpit)
    page = await cockpit.http.get("/cockpit/leads/1?lang=de")
    assert 'href="/cockpit/csv/timeline?lead=1"' in page.text
    assert 'href="/cockpit/csv/timeline?lead=1&amp;excel=1"' in page.text

    got = await cockpit.http.get("/cockpit/csv/timeline?lead=1&lang=de")
    assert got.status_code == 200, got.text[:300]
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        got.headers["content-disposition"] == 'attachment; filename="leadbot-timeline-lead-1.csv"'
    )
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["when", "what", "who", "via", "partner", "details"]
    shown = await _timeline(cockpit, 1, "de")
    assert len(rows) == len(shown)
    for written, seen in zip(rows[1:], shown[1:], strict=True):
        assert written[0].startswith("2026-03-02T08:00:00") and written[0].endswith("+00:00")
        assert written[1:4] == seen[1:4] and written[5] == seen[5]
        assert written[4] == ("" if seen[4] == "–" else seen[4])

    excel = await cockpit.http.get("/cockpit/csv/timeline?lead=1&lang=en&excel=1")
    assert excel.text.startswith("\ufeffwhen;what;who;via;partner;details\n")
    assert "2026-03-02 09:00:00;received;leadbot;API;;source: trade_fair" in excel.text

    async with cockpit.runtime.uow() as uow:
        await add_partner(uow, "@P3", name="Formel")
        await uow.commit()
    created = await cockpit.http.post(
        "/api/leads", json=lead_payload(external_id="second"), headers=AUTH
    )
    assert created.status_code == 201, created.text
    lead = created.json()["id"]
    async with cockpit.runtime.uow() as uow:
        await assign(uow, lead, "@P3", CLI_STAFF)
    second = await cockpit.http.get(f"/cockpit/csv/timeline?lead={lead}")
    cells = [row[4] for row in csv.reader(io.StringIO(second.text))]
    assert "'@P3" in cells and "@P3" not in cells

    unknown = await cockpit.http.get("/cockpit/csv/timeline?lead=999&lang=en")
    assert unknown.status_code == 404 and "#999" in unknown.text
