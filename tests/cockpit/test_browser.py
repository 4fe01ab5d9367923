"""The cockpit in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Signs in with a one-time link, opens every page, changes the date range, downloads a CSV
(and a lead's audit trail as one), checks that the charts are drawn and the pages fit a phone, and writes screenshots of the
overview as test artifacts (their paths are printed). With ``LEADBOT_DOCS_SCREENSHOT=1``
the desktop screenshot is also saved as ``docs/img/cockpit.png``.

Never skipped: without Chromium the test fails and says how to install it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.actors import Actor
from bot.cockpit.links import create_login_link
from bot.config import load_settings
from bot.models import Channel
from tests.support.botserver import running_bot
from tests.support.cli import CONFIG, REPO, leadbot
from tests.support.scenario import load_examples, play_sync

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "browser-test-secret-0123456789"
ALIGNMENT = """selector => {
  const table = document.querySelector(selector);
  const heads = [...table.querySelectorAll('thead th')];
  const cells = [...table.querySelector('tbody tr').children];
  const align = e => getComputedStyle(e).textAlign;
  return heads.map((th, i) => [th.textContent.trim(), align(th), align(cells[i])]);
}"""
"""Each column of a table: its header, how the header and the first row's cell align."""


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install Debian's package with "
            "'apt-get install -y chromium' (.ci/run does this when it is missing)"
        )


async def _browse(settings: Any, artifacts: Path, erased: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    seen: dict[str, Any] = {}
    async with running_bot(settings) as bot:
        async with bot.runtime.uow() as uow:
            link = await create_login_link(uow, Actor.staff(Channel.CLI, name="browser"))
        link = link.replace(settings.server.base_url(), bot.url)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            # English pages are expected: the install says so and so does the browser
            # (its Accept-Language would win over [staff] language).
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-US"
            )
            page = await context.new_page()
            external: list[str] = []
            page.on(
                "request",
                lambda r: external.append(r.url) if not r.url.startswith(bot.url) else None,
            )

            refused = await page.goto(f"{bot.url}/cockpit")
            assert refused is not None and refused.status == 401
            seen["refused"] = await page.inner_text("main")

            await page.goto(link)
            await page.click("#sign-in")
            await page.wait_for_url(f"{bot.url}/cockpit")
            seen["kpi_leads"] = await page.inner_text("#kpi-leads")
            seen["overview_charts"] = await page.eval_on_selector_all(
                "figure svg", "els => els.map(e => e.getBoundingClientRect().width)"
            )
            seen["overview_text"] = await page.inner_text("main")
            desktop = artifacts / "cockpit-overview.png"
            await page.screenshot(path=str(desktop), full_page=True)
            seen["screenshot"] = desktop

            # Another date range: nothing was received in January 2020.
            await page.fill("input[name=from]", "2020-01-01")
            await page.fill("input[name=to]", "2020-01-31")
            await page.click("form.range button")
            await page.wait_for_url("**/cockpit?from=2020-01-01&to=2020-01-31")
            seen["kpi_leads_2020"] = await page.inner_text("#kpi-leads")
            await page.go_back()

            await page.click("nav >> text=Campaigns")
            await page.wait_for_url("**/cockpit/campaigns?**")
            seen["campaign_chart"] = await page.eval_on_selector(
                "#campaigns figure svg", "e => e.getBoundingClientRect().height"
            )
            async with page.expect_download() as waiting:
                await page.click("#campaigns .downloads a")
            download = await waiting.value
            path = artifacts / download.suggested_filename
            await download.save_as(str(path))
            seen["csv"] = path.read_text(encoding="utf-8")

            await page.click("nav >> text=Partners")
            await page.wait_for_url("**/cockpit/partners?**")
            seen["partner_rows"] = await page.locator("#partners tbody tr").count()
            seen["partner_chart"] = await page.locator("#partners figure svg").count()

            await page.click("nav >> text=Leads")
            await page.wait_for_url("**/cockpit/leads?**")
            seen["lead_rows"] = await page.locator("#leads tbody tr").count()
            seen["lead_columns"] = await page.evaluate(ALIGNMENT, "#leads table")
            await page.select_option("select[name=status]", "won")
            await page.click("form.range button")
            await page.wait_for_url("**status=won**")
            seen["won_rows"] = await page.locator("#leads tbody tr").count()
            await page.click("#leads tbody tr a")
            await page.wait_for_selector("#timeline")
            seen["lead_page"] = await page.inner_text("main")
            seen["timeline_columns"] = await page.evaluate(ALIGNMENT, "#timeline table")
            async with page.expect_download() as waiting:
                await page.click("#timeline .downloads a")  # the audit trail's CSV link
            download = await waiting.value
            path = artifacts / download.suggested_filename
            await download.save_as(str(path))
            seen["timeline_csv"] = path.read_text(encoding="utf-8")
            await page.goto(f"{bot.url}/cockpit/leads/{erased}")
            seen["erased_page"] = await page.inner_text("main")

            await page.click("text=Deutsch")
            seen["german"] = await page.inner_text("header")

            phone = await browser.new_context(
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                device_scale_factor=2,
                locale="en-US",
            )
            await phone.add_cookies(await context.cookies())
            small = await phone.new_page()
            await small.goto(f"{bot.url}/cockpit?lang=en")
            seen["phone_overflow"] = await small.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            mobile = artifacts / "cockpit-overview-phone.png"
            await small.screenshot(path=str(mobile), full_page=True)
            seen["phone_screenshot"] = mobile
            seen["external"] = external

            await page.click("header form.out button")  # Sign out: a button that posts
            await page.wait_for_url(f"{bot.url}/cockpit")
            seen["signed_out"] = await page.inner_text("main")
            await browser.close()
    return seen


def test_cockpit_in_chromium(database_url: str, tmp_path: Path) -> None:
    _require_chromium()
    env = {"LEADBOT_DATABASE__URL": database_url, "LEADBOT_COCKPIT__SECRET": SECRET}
    settings = load_settings(CONFIG, {**env, "LEADBOT_STAFF__LANGUAGE": "en"})
    load_examples(database_url)
    played = play_sync(settings)
    costs = tmp_path / "costs.csv"
    costs.write_text("campaign,cost_eur\nHannover Messe 2026,20000\nit-sa 2026,15000\n")
    assert leadbot(database_url, "campaigns", "import", str(costs)).exit_code == 0
    erased = played.claimed[-1]
    assert leadbot(database_url, "erase", str(erased), "--yes").exit_code == 0

    seen = asyncio.run(_browse(settings, tmp_path, erased))
    print(f"\ncockpit screenshots: {seen['screenshot']} {seen['phone_screenshot']}")
    if os.environ.get("LEADBOT_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(seen["screenshot"], REPO / "docs" / "img" / "cockpit.png")

    assert "one-time link" in seen["refused"] and "leadbot cockpit link" in seen["refused"]
    assert seen["kpi_leads"] == "10"
    assert len(seen["overview_charts"]) == 2 and min(seen["overview_charts"]) > 200
    assert "Funnel" in seen["overview_text"] and "Weekly trend" in seen["overview_text"]
    assert seen["kpi_leads_2020"] == "0"
    assert seen["campaign_chart"] > 50
    assert seen["csv"].startswith("campaign,leads,offered,claimed,contacted,won,lost")
    assert "Hannover Messe 2026" in seen["csv"]
    assert seen["partner_rows"] >= 4 and seen["partner_chart"] == 1
    assert seen["lead_rows"] == 10 and seen["won_rows"] == 1
    page = seen["lead_page"]
    assert "Audit trail" in page and "claimed" in page and "won" in page
    assert "Personal data" in page and "@" in page  # staff see the contact's e-mail
    # Headers sit over their cells; words read from the left, figures line up at the right.
    for columns in (seen["lead_columns"], seen["timeline_columns"]):
        assert all(head == cell for _name, head, cell in columns), columns
    aligned = {name: cell for name, _head, cell in seen["lead_columns"]}
    assert all(aligned[n] == "left" for n in ("Status", "Campaign", "Partner")), aligned
    assert aligned["Estimated value"] == aligned["Revenue"] == "right", aligned
    assert {name: cell for name, _h, cell in seen["timeline_columns"]}["Details"] == "left"
    assert seen["timeline_csv"].startswith("when,what,who,via,partner,details\n")
    assert ",received,leadbot," in seen["timeline_csv"] and "won" in seen["timeline_csv"]
    assert "was erased" in seen["erased_page"] and "@" not in seen["erased_page"]
    assert "Überblick" in seen["german"]
    assert seen["phone_overflow"] <= 0
    assert seen["external"] == []  # no script, font or image from anywhere else
    assert "Einmal-Link" in seen["signed_out"]  # the button signed the browser out (German now)
    assert seen["screenshot"].stat().st_size > 10_000
