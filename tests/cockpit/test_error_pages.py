"""The cockpit's error pages speak the page's language, title included.

The language is ``?lang=``, else the cookie the language link sets, else the browser's
``Accept-Language`` (httpx sends none; see ``test_accept_language.py``), else ``[staff]
language``. Here the setting is English and the reader switched to German: an unknown
lead or table, an address no page has, a bad date and a wrong method all answer with a
German page whose title says what went wrong — an address outside the cockpit keeps the
API's JSON answer.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.actors import Actor
from bot.clock import ManualClock
from bot.cockpit.leads import STATUS_FILTERS
from bot.cockpit.links import create_login_link
from bot.models import Channel
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import sign_in
from tests.support.factories import lead_payload

SECRET = "a-test-secret-of-some-length"


@pytest.fixture
async def app(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Runtime]:
    settings = make_settings(cockpit={"secret": SECRET}, staff={"language": "en"})
    runtime = Runtime.create(settings, clock=clock)
    yield runtime
    await runtime.close()


def _client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://leadbot")


async def _sign_in(runtime: Runtime, http: httpx.AsyncClient) -> None:
    await sign_in(http, runtime)


def _shown(page: httpx.Response) -> tuple[str, str, list[str]]:
    """The page's language, its title and its section's heading and paragraphs."""
    lang = re.search(r'<html lang="(\w+)">', page.text)
    title = re.search(r"<title>(.*?)</title>", page.text)
    assert lang and title, page.text[:300]
    # A bad range's message is the form's alert (``#problem``); a plain paragraph elsewhere.
    texts = re.findall(r'<(?:h1|p)(?: id="problem" role="alert")?>(.*?)</(?:h1|p)>', page.text)
    # As a reader sees them: HTML's entities (&#39; for a quote) resolved.
    return lang.group(1), html.unescape(title.group(1)), [html.unescape(t) for t in texts]


NOT_FOUND = "Nicht gefunden"
BAD = "Das lässt sich nicht anzeigen"
NO_PAGE = "Diese Seite gibt es im Cockpit nicht."
TABLES = "funnel, status, campaigns, partners, weeks, leads, timeline"
STATUSES = ", ".join(STATUS_FILTERS)


@pytest.mark.parametrize(
    ("method", "path", "status", "heading", "text"),
    [
        ("GET", "/cockpit/leads/999", 404, NOT_FOUND, "Es gibt keinen Lead #999."),
        ("GET", "/cockpit/csv/umsatz", 404, NOT_FOUND, f"Es gibt keine Tabelle 'umsatz'; Tabellen: {TABLES}."),
        ("GET", "/cockpit/kampagnen", 404, NOT_FOUND, NO_PAGE),
        ("GET", "/cockpit/leads/1/x", 404, NOT_FOUND, NO_PAGE),
        ("GET", "/cockpit?from=2026-13-01", 400, BAD, "Von: '2026-13-01' ist kein Datum; bitte als JJJJ-MM-TT schreiben"),
        ("GET", "/cockpit?from=" + "9" * 100, 400, BAD, "Von: '" + "9" * 60 + "'… ist kein Datum; bitte als JJJJ-MM-TT schreiben"),
        ("GET", "/cockpit?from=1900-01-01", 400, BAD, "Von: 1900-01-01 liegt außerhalb; bitte ein Datum von 1970-01-01 bis 9998-12-31"),
        ("GET", "/cockpit?from=2026-03-02&to=2026-03-01", 400, BAD, "Von (2026-03-02) liegt nach Bis (2026-03-01)"),
        ("GET", "/cockpit?from=1970-01-01&to=2026-03-01", 400, BAD, "Der Zeitraum ist länger als 3660 Tage; bitte einen kürzeren wählen."),
        ("GET", "/cockpit/csv/leads?page=x", 400, BAD, "Seite: 'x' ist keine Zahl"),
        ("GET", "/cockpit/leads?page=0", 400, BAD, "Seite: 0 liegt außerhalb; bitte eine Seite von 1 bis 100000"),
        ("GET", "/cockpit/leads?page=999999999999999999999", 400, BAD, "Seite: 999999999999999999999 liegt außerhalb; bitte eine Seite von 1 bis 100000"),
        ("GET", "/cockpit/csv/leads?page=100001", 400, BAD, "Seite: 100001 liegt außerhalb; bitte eine Seite von 1 bis 100000"),
        ("GET", "/cockpit/leads?status=neu", 400, BAD, f"Status: 'neu' ist keiner von {STATUSES}"),
        ("GET", "/cockpit/leads?campaign=a%00b", 400, BAD, "Kampagne: enthält ein Steuerzeichen (U+0000); nur druckbarer Text ist erlaubt"),
        ("GET", "/cockpit/csv/leads?partner=P1%1B", 400, BAD, "Partner: enthält ein Steuerzeichen (U+001B); nur druckbarer Text ist erlaubt"),
        ("POST", "/cockpit/leads", 405, "So nicht aufrufbar", "Diese Seite lässt sich so nicht aufrufen."),
    ],
)  # fmt: skip
async def test_error_pages_on_a_german_page_are_german(
    app: Runtime, method: str, path: str, status: int, heading: str, text: str | None
) -> None:
    async with _client(app) as http:
        await _sign_in(app, http)
        switched = await http.get("/cockpit?lang=de")
        assert switched.status_code == 200 and _shown(switched)[0] == "de"

        page = await http.request(method, path)
        assert page.status_code == status, page.text[:300]
        assert page.headers["content-type"].startswith("text/html")
        lang, title, texts = _shown(page)
        assert (lang, title) == ("de", f"{heading} · leadbot-Cockpit")
        assert texts[0] == heading
        if text is not None:
            assert texts[1:] == [text]
        if status == 405:
            assert page.headers["allow"] == "GET"
        # A reader who got lost is not stranded on a page without the cockpit's navigation.
        assert '<p class="home"><a href="/cockpit">Zurück zur Übersicht</a></p>' in page.text


async def test_unknown_addresses_need_no_session_and_follow_the_language(app: Runtime) -> None:
    async with _client(app) as http:
        page = await http.get("/cockpit/kampagnen?lang=de")
        assert page.status_code == 404
        assert _shown(page) == (
            "de",
            f"{NOT_FOUND} · leadbot-Cockpit",
            [NOT_FOUND, NO_PAGE],
        )
        page = await http.get("/cockpit/leads/1/x")  # [staff] language
        assert page.status_code == 404
        assert _shown(page)[:2] == ("en", "Not found · leadbot cockpit")

        outside = await http.get("/api/nowhere")
        assert outside.status_code == 404 and outside.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's busy timeout
async def test_a_database_that_does_not_answer_gets_a_page_not_json(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str
) -> None:
    """Signing in writes; while another writer holds SQLite's lock past the busy timeout the
    database does not answer. The browser gets the cockpit's 503 page in its language with
    ``Retry-After`` — the API beside it keeps its JSON — and the link still works after."""
    settings = make_settings(
        cockpit={"secret": SECRET},
        staff={"language": "en"},
        server={"api_token": "outage-token"},
        database={"url": database_url, "sqlite_busy_timeout_seconds": 0.3},
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        link = await create_login_link(uow, Actor.staff(Channel.CLI, name="anna"))
    token = link.rpartition("token=")[2]
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        async with _client(runtime) as http:
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            german = {"Accept-Language": "de-DE,de;q=0.9"}
            page = await http.post("/cockpit/login", data={"token": token}, headers=german)
            api = await http.post(
                "/api/leads", json=lead_payload(), headers={"Authorization": "Bearer outage-token"}
            )
            holder.execute("ROLLBACK")
            signed = await http.post("/cockpit/login", data={"token": token})
    finally:
        holder.close()
        await runtime.close()

    assert page.status_code == 503, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"].isdigit()
    heading = "Gerade nicht erreichbar"
    assert _shown(page) == (
        "de",
        f"{heading} · leadbot-Cockpit",
        [heading, "Die Datenbank antwortet nicht. Bitte versuchen Sie es in einigen Sekunden "
         "noch einmal."],
    )  # fmt: skip
    assert api.status_code == 503
    assert api.json() == {"detail": "the database is not answering; try again shortly"}
    assert signed.status_code == 303, signed.text[:300]
