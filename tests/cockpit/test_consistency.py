"""The cockpit shows the same funnel, campaign ROI and partner reliability as
``leadbot report --format json`` — pages and CSV downloads alike."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bot.actors import Actor
from bot.cockpit.links import create_login_link
from bot.config import load_settings
from bot.models import Channel
from bot.reports.format import pct
from tests.support.botserver import running_bot
from tests.support.cli import CONFIG, leadbot
from tests.support.html_tables import tables
from tests.support.scenario import load_examples, play_sync

SECRET = "consistency-secret-0123456789"


async def _cockpit(settings: Any, paths: list[str]) -> dict[str, str]:
    async with running_bot(settings) as bot:
        async with bot.runtime.uow() as uow:
            link = await create_login_link(uow, Actor.staff(Channel.CLI, name="test"))
        async with httpx.AsyncClient(base_url=bot.url) as http:
            token = link.split("token=")[1]
            assert (await http.post("/cockpit/login", data={"token": token})).status_code == 303
            pages = {}
            for path in paths:
                response = await http.get(path)
                assert response.status_code == 200, (path, response.text[:300])
                pages[path] = response.text
            return pages


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _same(cell: str, value: Any, key: str = "") -> bool:
    """A CSV cell says the JSON value; money (``*_eur``) with two places in CSV."""
    if key.endswith("_eur") and value is not None:
        return cell == f"{Decimal(str(value)):.2f}"
    return cell == ("" if value is None else str(value))


def test_cockpit_equals_report_json(database_url: str, tmp_path: Path) -> None:
    env = {"LEADBOT_DATABASE__URL": database_url, "LEADBOT_COCKPIT__SECRET": SECRET}
    settings = load_settings(CONFIG, {**env, "LEADBOT_STAFF__LANGUAGE": "en"})
    load_examples(database_url)
    play_sync(settings)
    costs = tmp_path / "costs.csv"
    costs.write_text("campaign,cost_eur\nHannover Messe 2026,20000\nit-sa 2026,15000\n")
    assert leadbot(database_url, "campaigns", "import", str(costs)).exit_code == 0
    result = leadbot(database_url, "report", "--format", "json")
    data = json.loads(result.stdout)
    paused = data["partners"][0]  # the pages mark a partner that gets no leads now
    assert leadbot(database_url, "partners", "pause", paused["partner_id"]).exit_code == 0
    query = f"from={data['period']['from']}&to={data['period']['to']}"
    paths = [f"/cockpit?{query}", f"/cockpit/campaigns?{query}", f"/cockpit/partners?{query}"]
    paths += [f"/cockpit/csv/{name}?{query}" for name in ("funnel", "campaigns", "partners")]
    paths.append(f"/cockpit/csv/leads?{query}")
    excel = [f"/cockpit/csv/{name}?{query}&excel=1" for name in ("campaigns", "leads")]
    pages = asyncio.run(_cockpit(settings, paths + excel))

    shown, texts = tables(pages[paths[0]])
    funnel = data["funnel"]
    assert texts["kpi-leads"] == str(funnel["leads"]) and texts["kpi-open"] == str(
        data["open"]["total"]
    )
    stages = [row[1] for row in shown["funnel"][1:]]
    keys = ("leads", "offered", "claimed", "contacted", "won", "lost")
    assert stages == [str(funnel[key]) for key in keys]
    assert texts["kpi-roi"] == pct(data["roi"], signed=True)

    campaign_rows = {row[0]: row for row in tables(pages[paths[1]])[0]["campaigns"][1:]}
    assert len(campaign_rows) == len(data["campaigns"])
    for campaign in data["campaigns"]:
        row = campaign_rows[campaign["campaign"] or "(no campaign)"]
        assert row[1] == str(campaign["leads"]) and row[5] == str(campaign["won"])
        assert row[-1] == pct(campaign["roi"], signed=True)
    assert any(c["roi"] is not None for c in data["campaigns"])

    partner_rows = {row[0]: row for row in tables(pages[paths[2]])[0]["partners"][1:]}
    assert len(partner_rows) == len(data["partners"])
    assert f"{paused['name']} (paused)" in partner_rows and paused["name"] not in partner_rows
    for partner in data["partners"]:
        suffix = " (paused)" if partner is paused else ""
        row = partner_rows[partner["name"] + suffix]
        assert [row[1], row[2], row[10], row[11], row[13], row[14]] == [
            str(partner[k]) for k in ("offers", "claims", "recalls", "handbacks", "won", "lost")
        ]

    # The lead list's money too: two places, a dot (it was 61000.0 and whole euros).
    leads = _csv(pages[paths[-1]])
    assert [r["revenue_eur"] for r in leads if r["status"] == "won"] == ["61000.00"]
    assert all(r["estimated_value_eur"].endswith(".00") for r in leads if r["estimated_value_eur"])
    assert any(r["estimated_value_eur"] for r in leads)

    for name, path in zip(("funnel", "campaigns", "partners"), paths[3:6], strict=True):
        rows = _csv(pages[path])
        expected = (
            [{"stage": k, "count": funnel[k]} for k in keys] if name == "funnel" else data[name]
        )
        assert len(rows) == len(expected)
        for got, want in zip(rows, expected, strict=True):
            assert all(_same(got[key], value, key) for key, value in want.items()), (got, want)

    # The Excel links: the same rows for a German Excel — a byte-order mark, ';', decimal
    # commas — and a lead's received time as Excel reads a date (local time, no offset).
    assert 'excel=1" download' in pages[paths[1]]
    for path, plain_path in ((excel[0], paths[4]), (excel[1], paths[-1])):
        text = pages[path]
        assert text.startswith("\ufeff") and not pages[plain_path].startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
        plain = _csv(pages[plain_path])
        assert len(rows) == len(plain) and rows[0].keys() == plain[0].keys()
        for got, want in zip(rows, plain, strict=True):
            for key, cell in want.items():
                if key == "received":
                    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", got[key]), got[key]
                else:
                    number = re.fullmatch(r"-?\d+\.\d+", cell)
                    assert got[key] == (cell.replace(".", ",") if number else cell), key
    won = [r for r in csv.DictReader(io.StringIO(pages[excel[1]][1:]), delimiter=";")]
    assert [r["revenue_eur"] for r in won if r["status"] == "won"] == ["61000,00"]
