"""The cockpit follows the browser's ``Accept-Language`` when nobody chose otherwise.

The page language is ``?lang=`` (remembered in a cookie), else that cookie, else the best
of German and English by the header's q-values (RFC 9110), else ``[staff] language``. So
a German browser gets German pages on an install set to English — the sign-in page, the
refusals and the error pages too — and a header that accepts neither language, or is
malformed, changes nothing. Every page says which language it picked in ``<html lang>``
and that it depends on ``Accept-Language`` and ``Cookie`` (``Vary``).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from bot.actors import Actor
from bot.clock import ManualClock
from bot.cockpit.links import create_login_link
from bot.models import Channel
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cockpit_session import COCKPIT_SECRET, sign_in

# Which language a page is in has nothing to do with the database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GERMAN = "de-DE,de;q=0.9,en;q=0.8"  # what a German browser sends
TITLE = {"de": "leadbot-Cockpit", "en": "leadbot cockpit"}


@pytest.fixture
async def runtimes(
    make_settings: SettingsFactory, clock: ManualClock
) -> AsyncIterator[Callable[..., Runtime]]:
    """Runtimes with ``[staff] language`` as asked (and the cockpit's secret unless not)."""
    made: list[Runtime] = []

    def make(staff_language: str, *, secret: bool = True) -> Runtime:
        cockpit = {"secret": COCKPIT_SECRET} if secret else {}
        settings = make_settings(cockpit=cockpit, staff={"language": staff_language})
        made.append(Runtime.create(settings, clock=clock))
        return made[-1]

    yield make
    for runtime in made:
        await runtime.close()


def _client(runtime: Runtime, accept_language: str | None = None) -> httpx.AsyncClient:
    headers = {} if accept_language is None else {"Accept-Language": accept_language.encode()}
    transport = httpx.ASGITransport(app=create_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://leadbot", headers=headers)


def _language(page: httpx.Response) -> str:
    """The page's ``<html lang>``, checked against its title (the site's name is in it)."""
    lang = re.search(r'<html lang="(\w+)">', page.text)
    title = re.search(r"<title>(.*?)</title>", page.text)
    assert lang and title, page.text[:300]
    assert html.unescape(title.group(1)).endswith(TITLE[lang.group(1)]), title.group(1)
    return lang.group(1)


async def test_a_german_browser_gets_german_pages_on_an_english_install(
    runtimes: Callable[..., Runtime],
) -> None:
    runtime = runtimes("en")
    async with _client(runtime, GERMAN) as http:
        refused = await http.get("/cockpit")
        assert refused.status_code == 401 and _language(refused) == "de"
        assert "Bitte anmelden" in refused.text
        async with runtime.uow() as uow:
            link = await create_login_link(uow, Actor.staff(Channel.CLI, name="anna"))
        link_page = await http.get("/cockpit/login?token=" + link.split("token=")[1])
        assert link_page.status_code == 200 and _language(link_page) == "de"
        assert "Das leadbot-Cockpit öffnen?" in link_page.text
        spent = await http.get("/cockpit/login?token=some-token")
        assert spent.status_code == 401 and _language(spent) == "de"
        assert "Dieser Anmelde-Link gilt nicht mehr" in spent.text
        used_up = await http.post("/cockpit/login", data={"token": "not-a-link"})
        assert used_up.status_code == 401 and _language(used_up) == "de"
        nowhere = await http.get("/cockpit/kampagnen")
        assert nowhere.status_code == 404 and _language(nowhere) == "de"
        assert "Diese Seite gibt es im Cockpit nicht." in nowhere.text

        await sign_in(http, runtime)
        for path in ("/cockpit", "/cockpit/campaigns", "/cockpit/partners", "/cockpit/leads"):
            page = await http.get(path)
            assert page.status_code == 200 and _language(page) == "de", path
            assert "set-cookie" not in page.headers  # the header is asked again each time
        assert "Überblick" in page.text
        bad_day = await http.get("/cockpit?from=2026-13-01")
        assert bad_day.status_code == 400 and _language(bad_day) == "de"
        assert "Das lässt sich nicht anzeigen" in bad_day.text
        no_lead = await http.get("/cockpit/leads/999")
        assert no_lead.status_code == 404 and _language(no_lead) == "de"
        assert "Es gibt keinen Lead #999." in no_lead.text

    async with _client(runtime) as http:  # no header: the install's language, as before
        assert _language(await http.get("/cockpit")) == "en"


async def test_an_english_browser_gets_english_pages_on_a_german_install(
    runtimes: Callable[..., Runtime],
) -> None:
    async with _client(runtimes("de"), "en-US") as http:
        refused = await http.get("/cockpit")
        assert refused.status_code == 401 and _language(refused) == "en"
        assert "Please sign in" in refused.text
        link_page = await http.get("/cockpit/login?token=some-token")
        assert _language(link_page) == "en"


async def test_without_a_secret_the_page_follows_the_header(
    runtimes: Callable[..., Runtime],
) -> None:
    async with _client(runtimes("en", secret=False), GERMAN) as http:
        page = await http.get("/cockpit")
    assert page.status_code == 503 and _language(page) == "de"
    assert "Das Cockpit ist nicht eingerichtet" in page.text


@pytest.mark.parametrize(
    ("staff_language", "accept_language", "expected"),
    [
        ("en", "en;q=0.5, de;q=0.8", "de"),  # the higher q, not the first listed
        ("de", "de;q=0.4, en", "en"),  # no q is q=1
        ("en", "fr-CH, fr;q=0.9, de;q=0.7, en;q=0.3", "de"),  # French first: not offered
        ("de", "de;q=0, *", "en"),  # q=0: not acceptable, even with *
        ("en", "en;q=0, *;q=0.1", "de"),
        ("en", "en-GB;q=0.2, de-AT;q=0.3", "de"),  # a region counts as its language
        ("de", "EN-us", "en"),  # case does not matter
        ("en", "de;q=0.500, en;q=0.499", "de"),  # three decimals
        ("de", "en , de;q=1", "en"),  # equal q: the one listed first
        ("en", "de;q=2, de-CH", "de"),  # a malformed element is skipped, the rest counts
    ],
)
async def test_q_values_decide(
    runtimes: Callable[..., Runtime], staff_language: str, accept_language: str, expected: str
) -> None:
    async with _client(runtimes(staff_language), accept_language) as http:
        page = await http.get("/cockpit")
    assert page.status_code == 401 and _language(page) == expected


async def test_lang_and_its_cookie_still_beat_the_header(
    runtimes: Callable[..., Runtime],
) -> None:
    runtime = runtimes("en")
    async with _client(runtime, GERMAN) as http:
        await sign_in(http, runtime)
        assert _language(await http.get("/cockpit")) == "de"  # the header, nothing else set

        switched = await http.get("/cockpit?lang=en")
        assert _language(switched) == "en"
        assert "leadbot_lang=en" in switched.headers["set-cookie"]
        for path in ("/cockpit", "/cockpit/leads", "/cockpit/leads/999", "/cockpit/nowhere"):
            assert _language(await http.get(path)) == "en", path  # the cookie

        assert _language(await http.get("/cockpit/leads?lang=de")) == "de"
        assert _language(await http.get("/cockpit/leads")) == "de"  # the cookie again


@pytest.mark.parametrize(
    "accept_language",
    [
        "fr-FR, fr;q=0.9, it;q=0.5",  # only languages we have no texts for
        "*;q=0",  # nothing at all is acceptable
        "de;q=0, en;q=0",
        "de;q=2",  # q above 1
        "de;q=0.1234",  # four decimals
        "de;q=",
        "de;q=abc",
        "de; q = 0.5",  # no spaces around "="
        "de;level=1",  # no parameters but q
        "d e",
        "de_DE",
        "deutschland",  # longer than 8 letters
        "ÄÖ, ü",  # sent as UTF-8
        ";q=0.9, ,",
        "",
    ],
)
async def test_a_header_that_accepts_neither_language_changes_nothing(
    runtimes: Callable[..., Runtime], accept_language: str
) -> None:
    runtime = runtimes("en")
    async with _client(runtime, "de") as http:  # the header is read at all
        assert _language(await http.get("/cockpit")) == "de"
    async with _client(runtime, accept_language) as http:
        page = await http.get("/cockpit")
        assert page.status_code == 401 and _language(page) == "en"
        nowhere = await http.get("/cockpit/nowhere")
        assert nowhere.status_code == 404 and _language(nowhere) == "en"


async def test_pages_say_they_vary_by_language_and_cookie(
    runtimes: Callable[..., Runtime],
) -> None:
    runtime = runtimes("en")
    async with _client(runtime, GERMAN) as http:
        pages = [await http.get("/cockpit"), await http.get("/cockpit/nowhere")]
        await sign_in(http, runtime)
        pages += [await http.get("/cockpit"), await http.get("/cockpit/leads/999")]
    for page in pages:
        assert page.headers["cache-control"] == "no-store"
        vary = {v.strip().lower() for v in page.headers["vary"].split(",")}
        assert {"accept-language", "cookie"} <= vary, page.headers
