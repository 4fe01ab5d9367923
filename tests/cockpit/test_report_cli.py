"""``leadbot report`` and ``leadbot campaigns import`` as a user runs them, on both databases."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import load_settings
from bot.models import CampaignCost
from tests.support.cli import CONFIG, db_session, leadbot
from tests.support.factories import lead_payload
from tests.support.scenario import LONG_CAMPAIGN, load_examples, play_sync


def _settings(database_url: str):  # type: ignore[no-untyped-def]
    return load_settings(CONFIG, {"LEADBOT_DATABASE__URL": database_url})


def _with_long_campaign(database_url: str, tmp_path: Path) -> None:
    file = tmp_path / "long.json"
    file.write_text(json.dumps([lead_payload(external_id="long-1", campaign=LONG_CAMPAIGN)]))
    assert leadbot(database_url, "leads", "import", str(file)).exit_code == 0


def test_report_counts_add_up_and_keep_a_recalled_partner(
    database_url: str, tmp_path: Path
) -> None:
    load_examples(database_url)
    _with_long_campaign(database_url, tmp_path)
    played = play_sync(_settings(database_url))
    result = leadbot(database_url, "report", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    funnel, open_ = data["funnel"], data["open"]
    assert funnel["leads"] == 11
    assert (funnel["won"], funnel["lost"]) == (1, 1)
    # "open" is every lead not closed — including those on offer (the old report's bug).
    assert open_["total"] == funnel["leads"] - funnel["won"] - funnel["lost"]
    assert open_["total"] == open_["on_offer"] + open_["with_partners"] + open_["waiting"]
    assert sum(data["status"].values()) == funnel["leads"]
    assert funnel["leads"] >= funnel["offered"] >= funnel["claimed"] >= funnel["contacted"]
    assert data["revenue_eur"] == 61000.0
    partners = {p["partner_id"]: p for p in data["partners"]}
    # The recalled partner owns nothing now and still appears, with its recall.
    recalled = partners[played.recalled_partner]
    assert recalled["recalls"] == 1 and recalled["claims"] >= 1
    assert sum(p["handbacks"] for p in data["partners"]) == 1
    assert sum(p["won"] for p in data["partners"]) == 1
    assert all(p["claim_median_minutes"] is not None for p in data["partners"] if p["claims"])

    text = leadbot(database_url, "report", LEADBOT_STAFF__LANGUAGE="en").output
    head = text.splitlines()[0]
    assert f"{funnel['leads']} leads received, {open_['total']} open" in head
    # Long campaign names widen their column instead of pushing the numbers out of line.
    rows = [line for line in text.splitlines() if LONG_CAMPAIGN in line or "Hannover Messe" in line]
    assert len(rows) == 2
    assert len({len(line) for line in rows}) == 1
    assert "Pipeline" in head and "Kampagne" not in text  # one language only


def test_report_range_and_csv(database_url: str, tmp_path: Path) -> None:
    load_examples(database_url)
    result = leadbot(database_url, "report", "--format", "csv", "--table", "funnel")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0] == {"stage": "leads", "count": "10", "share": "1.0"}
    empty = leadbot(
        database_url, "report", "--from", "2020-01-01", "--to", "2020-01-31", "--format", "json"
    )
    assert json.loads(empty.stdout)["funnel"]["leads"] == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--from", "2026-02-30"),
            "Invalid value for '--from': '2026-02-30' is not a date; use YYYY-MM-DD",
        ),
        (("--to", "31.03.2026"), "Invalid value for '--to': '31.03.2026' is not a date"),
        (
            ("--from", "2026-03-02", "--to", "2026-03-01"),
            "Invalid value for '--from' / '--to': from (2026-03-02) is after to (2026-03-01)",
        ),
        (("--from", "9998-01-01"), "Invalid value for '--from': from (9998-01-01) is after to ("),
        (
            ("--from", "1990-01-01", "--to", "2026-01-01"),
            "Invalid value for '--from' / '--to': the range is longer than 3660 days",
        ),
        (  # text and json show every table: a --table there was silently ignored
            ("--table", "partners"),
            "Invalid value for '--table': only with --format csv (--format text shows every",
        ),
        (
            ("--format", "json", "--table", "funnel"),
            "Invalid value for '--table': only with --format csv (--format json shows every",
        ),
    ],
)
def test_report_bad_dates_are_usage_errors_naming_the_option(
    database_url: str, args: tuple[str, ...], says: str
) -> None:
    """A bad ``--from`` or ``--to`` is click's usage error naming the option, with the usage
    line (exit status 2), as for any bad option value — it was a bare ``leadbot: from: …``.
    A range names both options, or the one given (``--from`` after today, no ``--to``)."""
    refused = leadbot(database_url, "report", *args)
    assert refused.exit_code == 2, refused.output
    assert says in refused.stderr, refused.stderr
    assert "report [OPTIONS]" in refused.stderr  # the usage line
    assert refused.stdout == ""


def test_report_refuses_days_out_of_range_without_a_traceback(database_url: str) -> None:
    """Near year 1 or 9999 a local midnight has no UTC time: refused, naming the range."""
    for args, named in (
        (("--from", "0001-01-01", "--to", "0001-01-02"), "'--to': 0001-01-02"),
        (("--from", "0001-01-01", "--to", "1970-01-10"), "'--from': 0001-01-01"),
        (("--to", "0001-01-05"), "'--to': 0001-01-05"),
        (("--to", "9999-12-31"), "'--to': 9999-12-31"),
    ):
        refused = leadbot(database_url, "report", *args)
        assert refused.exit_code == 2, (args, refused.output)
        assert f"Invalid value for {named} is out of range" in refused.output, refused.output
        assert "use a date from 1970-01-01 to 9998-12-31" in refused.output
        assert "Traceback" not in refused.output
    edge = leadbot(
        database_url, "report", "--from", "9998-12-25", "--to", "9998-12-31", "--format", "json"
    )
    assert edge.exit_code == 0, edge.output
    assert json.loads(edge.stdout)["funnel"]["leads"] == 0
    earliest = leadbot(database_url, "report", "--to", "1970-01-05", "--format", "json")
    assert earliest.exit_code == 0, earliest.output  # the default 90 days start at 1970-01-01


def test_campaign_costs_import_roi_and_unknown_campaign(database_url: str, tmp_path: Path) -> None:
    load_examples(database_url)
    play_sync(_settings(database_url))
    costs = tmp_path / "costs.csv"
    costs.write_text("campaign,cost_eur\nHannover Messe 2026,20000\nHanover Mese 2026,500\n")
    result = leadbot(database_url, "campaigns", "import", str(costs))
    assert result.exit_code == 0, result.output
    assert "costs.csv: 2 campaign costs: 2 new" in result.output
    assert "'Hanover Mese 2026' names no campaign of any lead" in result.output

    data = json.loads(leadbot(database_url, "report", "--format", "json").stdout)
    messe = next(c for c in data["campaigns"] if c["campaign"] == "Hannover Messe 2026")
    assert messe["cost_eur"] == 20000.0
    expected = round((messe["revenue_eur"] - 20000) / 20000, 4)
    assert messe["roi"] == expected
    assert any("Hanover Mese 2026" in w for w in data["warnings"])
    text = leadbot(database_url, "report").stdout  # in the staff's language, German here
    assert "Die Kampagnenkosten für „Hanover Mese 2026“ nennen keine Kampagne" in text, text

    bad = tmp_path / "bad.csv"
    bad.write_text("campaign,cost_eur\nHannover Messe 2026,1.000,00\nX,-5\n")
    refused = leadbot(database_url, "campaigns", "import", str(bad))
    assert refused.exit_code == 1
    assert "line 2: 3 values, but the header has 2 columns" in refused.output
    assert "line 3, cost_eur" in refused.output
    again = json.loads(leadbot(database_url, "report", "--format", "json").stdout)
    assert (
        next(c for c in again["campaigns"] if c["campaign"] == "Hannover Messe 2026")["cost_eur"]
        == 20000.0
    )  # nothing changed

    header = tmp_path / "header.csv"
    header.write_text("name,cost\nA,1\n")
    assert (
        "line 1: missing column(s): campaign, cost_eur"
        in leadbot(database_url, "campaigns", "import", str(header)).output
    )


def _imported_costs(database_url: str) -> dict[str, Decimal]:
    with db_session(database_url) as session:
        return {
            row.campaign: Decimal(row.cost_eur) for row in session.scalars(select(CampaignCost))
        }


def test_campaign_costs_refuse_ambiguous_separators_and_control_characters(
    database_url: str, tmp_path: Path
) -> None:
    """``25.000`` is 25 thousand to a German reader and 25 to Python: refused, never read
    as 25 €. A NUL in a name is refused on its line (PostgreSQL cannot store it)."""
    bad = tmp_path / "bad.csv"
    bad.write_text(
        'campaign,cost_eur\nX,25.000\nY,"25,000"\nZ,1999.999\nX\0Y,100\n"E\x1b[31m",5\n'
        "W,1000000000001\n",
        encoding="utf-8",
    )
    refused = leadbot(database_url, "campaigns", "import", str(bad))
    assert refused.exit_code == 1
    for expected in (
        "line 2, cost_eur: '25.000' is ambiguous",
        "line 3, cost_eur: '25,000' is ambiguous",
        "line 4, cost_eur: '1999.999' is not an amount in euros",
        "line 5, campaign: contains a control character (U+0000)",
        "line 6, campaign: contains a control character (U+001B)",
        "line 7, cost_eur: '1000000000001' is too large: at most 12 digits before the decimal",
    ):
        assert expected in refused.output, refused.output
    assert _imported_costs(database_url) == {}  # nothing imported

    good = tmp_path / "good.csv"
    good.write_text(
        'campaign,cost_eur\nA,25000\nB,25000.5\nC,"25000,50"\nD,0.99\n', encoding="utf-8"
    )
    result = leadbot(database_url, "campaigns", "import", str(good))
    assert result.exit_code == 0, result.output
    assert _imported_costs(database_url) == {
        "A": Decimal("25000.00"),
        "B": Decimal("25000.50"),
        "C": Decimal("25000.50"),
        "D": Decimal("0.99"),
    }


def _money(data: object, key: str = "") -> list[tuple[str, object]]:
    """Every ``*_eur`` value in a JSON document, with its key."""
    if isinstance(data, dict):
        return [m for k, v in data.items() for m in _money(v, k)]
    if isinstance(data, list):
        return [m for v in data for m in _money(v, key)]
    return [(key, data)] if key.endswith("_eur") else []


def test_money_is_two_decimals_in_csv_and_a_number_in_json(
    database_url: str, tmp_path: Path
) -> None:
    """CSV money was Python's float text (``450000.0``, ``0.0``): now a decimal with two
    places, a dot and no thousands separators. JSON money is always a number."""
    load_examples(database_url)
    play_sync(_settings(database_url))  # one lead won for 61000 €
    costs = tmp_path / "costs.csv"
    costs.write_text('campaign,cost_eur\nHannover Messe 2026,"20000,5"\n', encoding="utf-8")
    assert leadbot(database_url, "campaigns", "import", str(costs)).exit_code == 0

    result = leadbot(database_url, "report", "--format", "csv", "--table", "campaigns")
    assert result.exit_code == 0, result.output
    rows = {r["campaign"]: r for r in csv.DictReader(io.StringIO(result.output))}
    messe = rows["Hannover Messe 2026"]
    assert (messe["revenue_eur"], messe["cost_eur"]) == ("61000.00", "20000.50")
    assert messe["cost_per_lead_eur"] == "10000.25" and messe["pipeline_eur"].endswith(".00")
    money = [
        cell
        for name in ("campaigns", "partners", "weeks")
        for row in csv.DictReader(
            io.StringIO(leadbot(database_url, "report", "--format", "csv", "--table", name).output)
        )
        for key, cell in row.items()
        if key.endswith("_eur") and cell
    ]
    assert "0.00" in money and "61000.00" in money
    assert all(re.fullmatch(r"\d+\.\d\d", cell) for cell in money), money

    data = json.loads(leadbot(database_url, "report", "--format", "json").stdout)
    found = _money(data)
    assert {k for k, _ in found} >= {"revenue_eur", "pipeline_eur", "cost_eur"}
    assert all(v is None or type(v) is float for _, v in found), found
    assert data["revenue_eur"] == 61000.0
