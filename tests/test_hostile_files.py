"""Hostile import files through the ``leadbot`` command, on both databases.

A control character (a NUL byte, an escape) in any cell is refused with its line and
column, and a quote that never closes is reported on the line where it opened — not at
the end of the file it swallowed. Nothing is imported from a file with a problem. Lead
files (CSV and JSON) go through the same strict contract as the API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.models import Lead, Partner, Rep
from tests.support.cli import EXAMPLES, db_session, leadbot

PARTNERS = (EXAMPLES / "partners.csv").read_text(encoding="utf-8").splitlines()
LEADS_CSV = (EXAMPLES / "leads.csv").read_text(encoding="utf-8").splitlines()


def _count(database_url: str, table: type) -> int:
    with db_session(database_url) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _file(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _with_cell(lines: list[str], column: str, value: str) -> list[str]:
    """``lines`` (a header and data lines, ``,``-separated) with ``column`` of the second
    data line set to ``value``."""
    changed = list(lines)
    cells = changed[2].split(",")
    cells[changed[0].split(",").index(column)] = value
    changed[2] = ",".join(cells)
    return changed


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x08", "\x85"])
def test_a_control_character_in_a_partner_is_refused_with_its_line(
    database_url: str, tmp_path: Path, character: str
) -> None:
    lines = list(PARTNERS)
    lines[3] = lines[3].replace("GmbH", f"Gmb{character}H", 1).replace("AG,", f"A{character}G,", 1)
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 1
    assert f"line 4, name: contains a control character (U+{ord(character):04X})" in (result.stderr)
    assert _count(database_url, Partner) == 0


@pytest.mark.parametrize("character", ["\n", "\r", "\t"])
def test_a_line_break_or_tab_in_a_name_is_refused_even_when_quoted(
    database_url: str, tmp_path: Path, character: str
) -> None:
    """A name is one line: with a line break it split reports, explanations and sentences."""
    lines = list(PARTNERS[:3])
    partner_id, name, rest = lines[2].split(",", 2)
    lines[2] = f'{partner_id},"{name[:8]}{character}{name[8:]}",{rest}'
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 1
    assert f"line 3, name: contains a control character (U+{ord(character):04X})" in (result.stderr)
    assert _count(database_url, Partner) == 0


def test_a_direction_override_in_a_partner_name_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    """ "Alpen\u202eTI" would read "AlpenIT" backwards in every table and chat."""
    lines = list(PARTNERS[:3])
    lines[2] = lines[2].replace("Rheinland", "Rhein\u202eland", 1)
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 1
    assert "line 3, name: contains a direction override (U+202E)" in result.stderr
    assert _count(database_url, Partner) == 0
    # At a cell's ends, white space (a trailing Alt+Enter or tab) is trimmed, not refused.
    partner_id, name, rest = PARTNERS[2].split(",", 2)
    lines[2] = f'{partner_id},"{name}\n",{rest}'
    lines.append("\t" + "," * PARTNERS[0].count(","))  # a blank row of a tab
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 0, result.stderr
    assert _count(database_url, Partner) == 2


def test_an_unterminated_quote_is_reported_where_it_opened(
    database_url: str, tmp_path: Path
) -> None:
    lines = list(PARTNERS[:11])
    lines[4] = lines[4].replace(",silver,", ',"silver,', 1)  # line 5 opens a quote, never closed
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 1
    assert 'line 5: not valid CSV: a quote (") opened in this row is never closed' in (
        result.stderr
    )
    assert "line 11" not in result.stderr
    assert _count(database_url, Partner) == 0


def test_a_control_character_in_a_rep_or_header_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    reps = (EXAMPLES / "reps.csv").read_text(encoding="utf-8").splitlines()
    reps[2] = reps[2].replace(",", ",\x00", 1)
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    result = leadbot(database_url, "reps", "import", _file(tmp_path, "r.csv", reps))
    assert result.exit_code == 1 and "line 3, name: contains a control character" in result.stderr
    header = ["id,na\x00me," + PARTNERS[0].split(",", 2)[2], *PARTNERS[1:3]]
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "h.csv", header))
    assert result.exit_code == 1 and "line 1, column 2: contains a control character" in (
        result.stderr
    )
    assert _count(database_url, Rep) == 0


def test_a_long_value_is_quoted_back_by_its_start_and_length(
    database_url: str, tmp_path: Path
) -> None:
    """A 500-character id printed back whole buries the report; its start and length name
    it as well. Values up to 64 characters (every id the contract allows) stay whole."""
    long_id = "P-" + "x" * 498
    lines = list(PARTNERS[:3])
    lines[2] = long_id + lines[2][lines[2].index(",") :]
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 1
    shown = f"{long_id[:60]!r}… (500 characters)"
    assert f"line 3, id: {shown}: use up to 64 letters" in result.stderr, result.stderr
    assert long_id not in result.stderr
    assert _count(database_url, Partner) == 0

    csv_lines = _with_cell(LEADS_CSV[:3], "consent.partner_contact", "vielleicht " * 50)
    result = leadbot(database_url, "leads", "import", _file(tmp_path, "l.csv", csv_lines))
    assert result.exit_code == 1
    shown = f"{('vielleicht ' * 50)[:60]!r}… (549 characters)"
    assert f"line 3, consent.partner_contact: {shown} is not true or false" in result.stderr, (
        result.stderr
    )
    assert _count(database_url, Lead) == 0


def test_a_number_of_thousands_of_digits_is_out_of_range(database_url: str, tmp_path: Path) -> None:
    """Python's int() refuses more than 4,300 digits with an error no import expected."""
    lines = _with_cell(PARTNERS[:3], "employees", "9" * 5000)
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "p.csv", lines))
    assert result.exit_code == 1, result.output
    shown = f"{'9' * 60!r}… (5000 characters)"
    assert f"line 3, employees: {shown} is out of range (0 to 10000000)" in result.stderr
    assert "Traceback" not in result.stderr
    assert _count(database_url, Partner) == 0

    # int() counts leading zeros towards its limit too: 0…07 is seven, not a traceback.
    zeros = _with_cell(PARTNERS[:3], "employees", "0" * 5000 + "7")
    result = leadbot(database_url, "partners", "import", _file(tmp_path, "z.csv", zeros))
    assert result.exit_code == 0, result.output
    assert _count(database_url, Partner) == 2


def test_lead_files_follow_the_strict_contract(database_url: str, tmp_path: Path) -> None:
    csv_lines = list(LEADS_CSV[:4])
    csv_lines[2] = csv_lines[2].replace("Apotheken-Verbund", "Apotheken\x00Verbund", 1)
    result = leadbot(database_url, "leads", "import", _file(tmp_path, "l.csv", csv_lines))
    assert result.exit_code == 1
    assert "line 3, company.name: contains a control character (U+0000)" in result.stderr

    leads = json.loads((EXAMPLES / "leads.json").read_text(encoding="utf-8"))[:3]
    leads[0]["consent"]["partner_contact"] = "yes"
    leads[1]["interest"]["estimated_value_eur"] = 2**63
    leads[2]["company"]["name"] = "  "
    path = tmp_path / "l.json"
    path.write_text(json.dumps(leads), encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    for expected in (
        "[0] (line 1), consent.partner_contact: Input should be a valid boolean",
        "[1] (line 1), interest.estimated_value_eur: Input should be less than or equal to",
        "[2] (line 1), company.name: must not be blank",
    ):
        assert expected in result.stderr, result.stderr
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(deep))
    assert result.exit_code == 1 and "nested too deeply" in result.stderr
    # A record too deep in a list is named, with the file's limit (it said 31).
    deep.write_text('[{}, {"x": ' + "[" * 40 + "]" * 40 + "}]", encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(deep))
    assert result.exit_code == 1 and "[1] (line 1)" in result.stderr, result.stderr
    problems = result.stderr.split("nothing was imported", 1)[-1]  # not the file's path
    assert "at most 32 levels" in problems and "31" not in problems, result.stderr
    twice = tmp_path / "twice.json"
    text = json.dumps(leads[:1]).replace('"partner_contact": "yes"', '"partner_contact": false')
    twice.write_text(text.replace("{", '{"campaign": "a", "campaign": "b", ', 1), encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(twice))
    assert result.exit_code == 1
    assert 'the key "campaign" appears twice in one object' in result.stderr, result.stderr
    assert _count(database_url, Lead) == 0


def test_the_example_lead_csv_still_imports(database_url: str) -> None:
    """Numbers in CSV cells become numbers (the contract is strict about JSON types)."""
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    result = leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.csv"))
    assert result.exit_code == 0, result.output
    with db_session(database_url) as session:
        lead = session.scalars(select(Lead).where(Lead.external_id == "crm-2026-0101")).one()
    assert (lead.score, lead.employees, lead.estimated_value_eur) == (79, 95, 25000)
