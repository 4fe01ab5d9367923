"""``leadbot campaigns import`` reads its file like every other import, on both databases.

The same reader as the partners, reps and lead files (``bot.directory.table``): names
trimmed of invisible characters, UTF-16 with a BOM, a ``;`` or tab delimiter decided from
the header, the file's own line numbers, every control-character cell named while the
rest of the row is still checked, and exit status 2 for a missing file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.models import CampaignCost
from tests.support.cli import db_session, leadbot
from tests.support.factories import lead_payload


def _costs(database_url: str) -> dict[str, Decimal]:
    with db_session(database_url) as session:
        return {r.campaign: Decimal(r.cost_eur) for r in session.scalars(select(CampaignCost))}


def _problems(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


def test_campaign_names_are_trimmed_of_invisible_characters(
    database_url: str, tmp_path: Path
) -> None:
    """A zero-width space copied along with the name made a cost nobody's campaign."""
    leads = tmp_path / "lead.json"
    leads.write_text(json.dumps([lead_payload(external_id="z-1", campaign="Hannover Messe")]))
    assert leadbot(database_url, "leads", "import", str(leads)).exit_code == 0
    costs = tmp_path / "costs.csv"
    costs.write_text("campaign,cost_eur\n\u200bHannover Messe\u2060\ufeff,100\n", encoding="utf-8")
    result = leadbot(database_url, "campaigns", "import", str(costs))
    assert result.exit_code == 0, result.output
    assert "names no campaign" not in result.stderr
    assert _costs(database_url) == {"Hannover Messe": Decimal("100.00")}


def test_a_missing_file_is_a_usage_error_as_for_the_other_imports(database_url: str) -> None:
    for command in (("campaigns", "import"), ("partners", "import"), ("leads", "import")):
        result = leadbot(database_url, *command, "/nonexistent/costs.csv")
        assert result.exit_code == 2, (command, result.output)
        assert "'/nonexistent/costs.csv' does not exist" in result.stderr, result.stderr


def test_excel_files_utf16_and_semicolons(database_url: str, tmp_path: Path) -> None:
    unicode_text = tmp_path / "unicode.csv"  # Excel's "Unicode text": UTF-16, BOM, tabs
    unicode_text.write_bytes("campaign\tcost_eur\r\nMünchen Messe\t1200,50\r\n".encode("utf-16"))
    result = leadbot(database_url, "campaigns", "import", str(unicode_text))
    assert result.exit_code == 0, result.output
    german = tmp_path / "german.csv"  # German Excel: ';' and a decimal comma, unquoted
    german.write_text("sep=;\nCampaign;Cost_EUR\nit-sa 2026;18000,5\n", encoding="utf-8-sig")
    assert leadbot(database_url, "campaigns", "import", str(german)).exit_code == 0
    plain = tmp_path / "plain.csv"  # the header alone decides
    plain.write_text("cost_eur;campaign\n99;Webinar\n", encoding="utf-8")
    assert leadbot(database_url, "campaigns", "import", str(plain)).exit_code == 0
    assert _costs(database_url) == {
        "München Messe": Decimal("1200.50"),
        "it-sa 2026": Decimal("18000.50"),
        "Webinar": Decimal("99.00"),
    }

    legacy = tmp_path / "legacy.csv"  # Excel's plain "CSV": Windows-1252
    legacy.write_bytes("campaign;cost_eur\nWebinar;1\nMünchen;2\n".encode("cp1252"))
    result = leadbot(database_url, "campaigns", "import", str(legacy))
    assert result.exit_code == 1
    assert _problems(result.stderr) == [
        "line 3: not UTF-8 text (byte 0xFC); save the file as 'CSV UTF-8' "
        "(Excel: Save as -> CSV UTF-8)"
    ], result.stderr
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\xff\xfe" + "campaign,cost_eur\n".encode("utf-16-le") + b"\x00\xd8")
    result = leadbot(database_url, "campaigns", "import", str(broken))
    assert result.exit_code == 1
    assert _problems(result.stderr) == ["file: not valid UTF-16 text"], result.stderr
    assert "codec" not in result.stderr


def test_every_problem_of_every_line_with_the_files_line_numbers(
    database_url: str, tmp_path: Path
) -> None:
    costs = tmp_path / "costs.csv"
    costs.write_text(
        "campaign,cost_eur\n"
        '"Messe\nim Herbst",100\n'  # lines 2-3: a line break in a name
        "\n"
        "X,bad\n"  # line 5, not 3
        '"E\x1b[31m","1\x002"\n'  # line 6: both cells refused, each named
        "Y,12.5.0\n"
        "X,5\n"
        ",5\n"
        "Z,\n"
        "A,1,2\n",
        encoding="utf-8",
    )
    result = leadbot(database_url, "campaigns", "import", str(costs))
    assert result.exit_code == 1
    printable = "only printable text is accepted"
    assert _problems(result.stderr) == [
        f"line 2, campaign: contains a control character (U+000A); {printable}",
        "line 5, cost_eur: 'bad' is not an amount in euros (digits with at most two decimals "
        "after a point or comma, e.g. 25000, 25000.50 or 25000,50)",
        f"line 6, campaign: contains a control character (U+001B); {printable}",
        f"line 6, cost_eur: contains a control character (U+0000); {printable}",
        "line 7, cost_eur: '12.5.0' is not an amount in euros (digits with at most two "
        "decimals after a point or comma, e.g. 25000, 25000.50 or 25000,50)",
        "line 8, campaign: 'X' appears twice (first on line 5)",
        "line 9, campaign: required",
        "line 10, cost_eur: required",
        "line 11: 3 values, but the header has 2 columns",
    ], result.stderr
    assert _costs(database_url) == {}


def test_dry_run_checks_the_file_and_says_what_would_change(
    database_url: str, tmp_path: Path
) -> None:
    """Like the other imports, ``--dry-run`` stores nothing and says what an import would
    do; the summary counts new, updated and unchanged costs (it said "2 campaign cost(s)
    imported" even when nothing changed, and had no ``--dry-run``)."""
    costs = tmp_path / "costs.csv"
    costs.write_text("campaign,cost_eur\nHannover Messe,100\nit-sa,200\n", encoding="utf-8")
    dry = leadbot(database_url, "campaigns", "import", str(costs), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"{costs}: 2 campaign costs: 2 new (dry run: nothing was changed)" in dry.stdout
    assert _costs(database_url) == {}

    assert leadbot(database_url, "campaigns", "import", str(costs)).exit_code == 0
    costs.write_text("campaign,cost_eur\nHannover Messe,150\nit-sa,200\n", encoding="utf-8")
    again = leadbot(database_url, "campaigns", "import", str(costs))
    assert f"{costs}: 2 campaign costs: 1 updated, 1 unchanged" in again.stdout, again.stdout
    assert _costs(database_url) == {"Hannover Messe": Decimal("150.00"), "it-sa": Decimal("200.00")}
