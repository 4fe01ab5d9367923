"""The cockpit by keyboard and for a screen reader, in German, in a real headless Chromium.

One walk in one browser for the whole module (each start costs seconds): sign in with Tab
and Enter, skip the navigation, move between the pages by their links, filter the lead
list, open a lead, type a reversed date range — and on every page read what a screen
reader gets (Playwright's ARIA snapshot and role locators): the page's language and
title, one ``<h1>``, the landmarks, the names of controls, links, tables and charts, and
whether the focus can be seen. Each test below checks one kind of thing from that walk;
text colours are checked against WCAG AA as the browser renders them.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.actors import Actor
from bot.cockpit.links import create_login_link
from bot.config import load_settings
from bot.models import Channel
from tests.cockpit.test_browser import ARGS, CHROMIUM, SECRET, _require_chromium
from tests.support.botserver import running_bot
from tests.support.cli import CONFIG
from tests.support.databases import SqliteDatabases
from tests.support.scenario import load_examples, play_sync

FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), name: e.getAttribute('aria-label') || e.textContent.trim()
            || (e.labels && e.labels[0] ? e.labels[0].textContent.trim() : ''),
          id: e.id, visible: e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().left >= 0,
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""
"""What has the focus: its tag, a rough name, whether it is on screen and outlined."""

STRUCTURE = """() => ({
  lang: document.documentElement.lang,
  title: document.title,
  h1: [...document.querySelectorAll('h1')].map(e => e.textContent.trim()),
  main: document.querySelectorAll('main').length,
  nav: document.querySelectorAll('nav').length,
  headers_without_scope: [...document.querySelectorAll('th')].filter(th => !th.scope).length,
  rows_without_header: [...document.querySelectorAll('tbody tr')]
    .filter(tr => !tr.querySelector('th[scope=row]')).length,
})"""

COLOURS = """() => {
  const opaque = c => c && !/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent';
  const background = e => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (opaque(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || e.closest('svg')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.left < 0) continue;
    out.push([n.textContent.trim().slice(0, 30), getComputedStyle(e).color, background(e)]);
  }
  return out;
}"""
"""Every visible text (not the charts') with its colour and the background behind it."""


def _luminance(rgb: str) -> float:
    channels = [int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two CSS ``rgb(…)`` colours (1 to 21)."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


async def _tab_until(page: Any, name: str, limit: int = 40) -> list[dict[str, Any]]:
    """Press Tab until the element called ``name`` has the focus; every stop on the way."""
    stops = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        stops.append(await page.evaluate(FOCUSED))
        if stops[-1]["name"] == name:
            return stops
    raise AssertionError(f"Tab never reached {name!r}: {[s['name'] for s in stops]}")


async def _look(page: Any, seen: dict[str, Any], key: str) -> None:
    seen[key] = await page.evaluate(STRUCTURE)
    seen[key]["colours"] = await page.evaluate(COLOURS)
    seen[key]["tree"] = await page.locator("body").aria_snapshot()
    seen[key]["tables"] = [
        await table.get_attribute("aria-labelledby")
        and await page.locator(
            "#" + (await table.get_attribute("aria-labelledby") or "")
        ).inner_text()
        for table in await page.get_by_role("table").all()
    ]


PAGES = ("overview", "campaigns", "partners", "leads", "lead")


async def _walk(settings: Any) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    seen: dict[str, Any] = {}
    async with running_bot(settings) as bot:
        async with bot.runtime.uow() as uow:
            link = await create_login_link(uow, Actor.staff(Channel.CLI, name="Anna"))
        link = link.replace(settings.server.base_url(), bot.url)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="de-DE"
            )
            page = await context.new_page()
            page.set_default_timeout(10_000)

            await page.goto(link)
            await _look(page, seen, "sign_in")
            seen["sign_in_stops"] = await _tab_until(page, "Anmelden")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{bot.url}/cockpit")
            await _look(page, seen, "overview")
            seen["overview_stops"] = await _tab_until(page, "Abmelden")

            await page.goto(f"{bot.url}/cockpit")
            await page.keyboard.press("Tab")
            seen["first_stop"] = await page.evaluate(FOCUSED)
            href = await page.evaluate("document.activeElement.getAttribute('href')")
            if href == "#main":  # a link within the page: Enter moves on, no navigation
                await page.keyboard.press("Enter")
                await page.keyboard.press("Tab")
                seen["after_skip"] = await page.evaluate(FOCUSED)

            for name, path in (("Kampagnen", "campaigns"), ("Partner", "partners"),
                               ("Leads", "leads")):  # fmt: skip
                await _tab_until(page, name)
                await page.keyboard.press("Enter")
                await page.wait_for_url(f"**/cockpit/{path}?**")
                await _look(page, seen, path)
            # Filter by keyboard: the status by typing its name, then Tab to the button.
            await page.get_by_role("combobox", name="Status", exact=True).focus()
            await page.keyboard.type("gewonnen")
            seen["filter_stops"] = await _tab_until(page, "Anzeigen")
            await page.keyboard.press("Enter")
            await page.wait_for_url("**status=won**")
            seen["won_rows"] = await page.locator("#leads tbody tr").count()
            await page.get_by_role("link", name=re.compile(r"^#\d+$")).first.focus()
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#timeline")
            await _look(page, seen, "lead")

            # A reversed range, typed into the overview's form and sent with Enter.
            await page.goto(f"{bot.url}/cockpit")
            await page.get_by_label("Von", exact=True).fill("2026-03-31")
            await page.get_by_label("Bis", exact=True).fill("2026-03-01")
            await page.get_by_label("Bis", exact=True).press("Enter")
            await page.wait_for_url("**from=2026-03-31**")
            await _look(page, seen, "error")
            seen["error_focus"] = await page.evaluate(
                """() => { const e = document.activeElement;
                  const said = document.getElementById(e.getAttribute('aria-describedby') || '');
                  return {name: e.name, invalid: e.getAttribute('aria-invalid'),
                          described: said && said.textContent.trim(),
                          role: said && said.getAttribute('role')}; }"""
            )
            seen["corrected"] = None
            if seen["error_focus"]["name"] == "from":  # the field to correct has the focus
                await page.locator(":focus").fill("2026-02-01")
                await page.keyboard.press("Enter")  # corrected: the overview of February
                await page.wait_for_url("**/cockpit?from=2026-02-01&to=2026-03-01")
                seen["corrected"] = await page.title()
            await browser.close()
    return seen


@pytest.fixture(scope="module")
def walk(
    _sqlite_databases: SqliteDatabases, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The walk through the example pipeline (German install, German browser), once."""
    _require_chromium()
    database_url = _sqlite_databases.create(tmp_path_factory.mktemp("keyboard"))
    env = {"LEADBOT_DATABASE__URL": database_url, "LEADBOT_COCKPIT__SECRET": SECRET}
    settings = load_settings(CONFIG, {**env, "LEADBOT_STAFF__LANGUAGE": "de"})
    load_examples(database_url)
    play_sync(settings)
    return asyncio.run(_walk(settings))


def test_every_page_says_its_language_title_heading_and_landmarks(walk: dict[str, Any]) -> None:
    """German pages say ``lang="de"``, a title naming the page, one ``<h1>``, and (signed
    in) one ``<main>`` and one ``<nav>`` — the sign-in page and the error page too."""
    for key in ("sign_in", *PAGES, "error"):
        page = walk[key]
        assert page["lang"] == "de", key
        assert page["title"].endswith("leadbot-Cockpit") and len(page["h1"]) == 1, page
        assert page["main"] == 1, key
    for key in PAGES:
        assert walk[key]["nav"] == 1 and walk[key]["title"].startswith(walk[key]["h1"][0])


def test_the_keyboard_skips_the_navigation_and_always_shows_the_focus(
    walk: dict[str, Any],
) -> None:
    """The first Tab reaches a visible "Zum Inhalt springen"; Enter on it and the next Tab
    is in the date form, past the navigation. Every stop of the walk — the sign-in button,
    the links and the sign-out button, the filter form — is on screen and outlined (3 px:
    Chromium's own ring is 1 px and, on the blue button, hard to see)."""
    assert walk["first_stop"]["name"] == "Zum Inhalt springen", walk["first_stop"]
    assert walk["first_stop"]["visible"], walk["first_stop"]
    assert walk["after_skip"]["name"] == "Von", walk["after_skip"]
    stops = walk["sign_in_stops"] + walk["overview_stops"] + walk["filter_stops"]
    names = [stop["name"] for stop in walk["overview_stops"]]
    assert names[:5] == ["Zum Inhalt springen", "Überblick", "Kampagnen", "Partner", "Leads"]
    assert [s for s in stops if not (s["visible"] and s["outline"])] == []
    assert walk["won_rows"] == 1  # the status was chosen by typing, the form sent by Enter


def test_headings_are_only_headings_and_each_download_link_names_its_table(
    walk: dict[str, Any],
) -> None:
    """A screen reader's list of headings read "Trichter CSV Excel" (the links sat in the
    ``<h2>``), and its list of links "CSV, Excel, CSV, Excel, CSV, Excel" on the overview."""
    overview = walk["overview"]["tree"]
    assert re.findall(r'heading "([^"]+)" \[level=2\]', overview) == [
        "Trichter", "Leads nach Status", "Wochenverlauf"]  # fmt: skip
    for table in ("Trichter", "Leads nach Status", "Wochenverlauf"):
        assert (
            f'link "{table} als CSV"' in overview and f'link "{table} als Excel-Datei"' in overview
        )
    for key, table in (("campaigns", "Kampagnen"), ("leads", "Leads"), ("lead", "Verlauf")):
        assert f'link "{table} als CSV"' in walk[key]["tree"], walk[key]["tree"][:2000]
    for key in PAGES:
        links = re.findall(r'link "([^"]+)"', walk[key]["tree"])
        assert "CSV" not in links and "Excel" not in links, (key, links)


def test_every_table_is_named_and_has_column_and_row_headers(walk: dict[str, Any]) -> None:
    """Tables had no name (a screen reader's table list said "Tabelle, Tabelle, Tabelle"),
    the first column's cells were plain cells, and the audit trail's headers had no scope."""
    names = {key: walk[key]["tables"] for key in PAGES}
    assert names == {
        "overview": ["Trichter", "Leads nach Status", "Wochenverlauf"],
        "campaigns": ["Kampagnen"], "partners": ["Partner"],
        "leads": ["Leads"], "lead": ["Verlauf"],
    }, names  # fmt: skip
    for key in PAGES:
        assert walk[key]["headers_without_scope"] == 0, key
        assert walk[key]["rows_without_header"] == 0, key
    assert 'rowheader "#' in walk["leads"]["tree"]  # a lead's row is headed by its number


def test_charts_are_images_named_by_their_captions(walk: dict[str, Any]) -> None:
    """A chart's SVG read as loose axis labels and tick numbers ("0", "2", "4", …); now
    each is one image named by its caption, and the table below it has the figures."""
    overview = walk["overview"]["tree"]
    assert 'img "Trichter der im Zeitraum eingegangenen Leads"' in overview
    assert 'img "Eingegangene Leads und gewonnener Umsatz pro Woche"' in overview
    assert 'img "Gewonnener Umsatz und Kosten je Kampagne"' in walk["campaigns"]["tree"]
    assert 'img "Übernahmen, verfallene Angebote' in walk["partners"]["tree"]


def test_a_bad_range_focuses_the_field_to_correct_and_says_why(walk: dict[str, Any]) -> None:
    """A reversed range was a page with the message and a link to the overview: no form,
    the focus at the top. Now the form comes back with the days as typed, "Von" focused,
    marked invalid and described by the message (``role="alert"``); corrected, Enter shows
    the range."""
    assert walk["error"]["h1"] == ["Das lässt sich nicht anzeigen"]
    assert walk["error_focus"] == {
        "name": "from", "invalid": "true", "role": "alert",
        "described": "Von (2026-03-31) liegt nach Bis (2026-03-01)",
    }  # fmt: skip
    assert walk["corrected"] == "Überblick · leadbot-Cockpit"


def test_every_text_has_enough_contrast(walk: dict[str, Any]) -> None:
    """WCAG AA: 4.5:1 for text (the muted grey #5b6775 is 5.4:1 on the page's #f6f7f9,
    the accent #2f6fb0 4.9:1; charts are images and left out)."""
    for key in ("sign_in", *PAGES, "error"):
        low = [
            (text, colour, background, round(contrast(colour, background), 2))
            for text, colour, background in walk[key]["colours"]
            if contrast(colour, background) < 4.5
        ]
        assert low == [], (key, low)
