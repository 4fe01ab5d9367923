"""Every problem of every row, in one round: the import files through the ``leadbot`` command.

A cell with a control character is reported — each such cell of the row — and the row's
other cells are still checked; the refused cell itself is reported once, for its character
(no "required" for it, no check across cells that needs it). An id seen on a row with
problems still counts as seen: a later row repeating it is reported as a repeat. Line
numbers are the file's, also after a quoted cell that spans lines and in a file with
old Mac line ends (CR).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from bot.models import Lead, Partner, Rep
from tests.support.cli import EXAMPLES, db_session, leadbot

LEADS_HEADER = (EXAMPLES / "leads.csv").read_text(encoding="utf-8").splitlines()[0]
PARTNERS_HEADER = (EXAMPLES / "partners.csv").read_text(encoding="utf-8").splitlines()[0]
REPS_HEADER = (EXAMPLES / "reps.csv").read_text(encoding="utf-8").splitlines()[0]


def _count(database_url: str, table: type) -> int:
    with db_session(database_url) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _row(header: str, **cells: str) -> str:
    """A data line for ``header`` with the given cells (dots in names as ``__``)."""
    names = header.split(",")
    given = {name.replace("__", "."): value for name, value in cells.items()}
    assert set(given) <= set(names), set(given) - set(names)
    return ",".join(given.get(name, "") for name in names)


def _file(tmp_path: Path, name: str, *lines: str) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _problems(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  ")]


def test_a_control_character_hides_no_other_problem_of_its_lead_row(
    database_url: str, tmp_path: Path
) -> None:
    """The operator's row: an escape in the campaign used to be the only problem named."""
    path = _file(
        tmp_path,
        "leads.csv",
        LEADS_HEADER,
        _row(
            LEADS_HEADER,
            external_id="c-1",
            campaign="Me\x1bsse",
            company__name="Firma",
            company__address__country="XX",
            contact__email="bad",
            interest__products="Z9",
            consent__partner_contact="vielleicht",
            score="500",
        ),
        # Several refused cells: each is named; what needs them is not checked — no
        # "company.name: required", no "an email or a phone number is needed".
        _row(
            LEADS_HEADER,
            external_id="c-2",
            company__name="Fir\x00ma",
            company__address__country="DE",
            contact__email="a\x07@firma.example",
            interest__products="X200",
            score="101",
        ),
    )
    result = leadbot(database_url, "leads", "import", path)
    assert result.exit_code == 1
    problems = _problems(result.stderr)
    for expected in (
        "line 2, campaign: contains a control character (U+001B)",
        "line 2, company.address.country: must be a two-letter ISO country code",
        "line 2, contact.email: value is not a valid email address",
        "line 2, interest.products (item 1): unknown product 'Z9'",
        "line 2, consent.partner_contact: 'vielleicht' is not true or false",
        "line 2, score: Input should be less than or equal to 100",
        "line 3, company.name: contains a control character (U+0000)",
        "line 3, contact.email: contains a control character (U+0007)",
        "line 3, score: Input should be less than or equal to 100",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, result.stderr)
    assert len(problems) == 9, result.stderr
    assert _count(database_url, Lead) == 0


def test_a_control_character_hides_no_other_problem_of_a_partner_or_rep_row(
    database_url: str, tmp_path: Path
) -> None:
    partners = _file(
        tmp_path,
        "partners.csv",
        PARTNERS_HEADER,
        _row(
            PARTNERS_HEADER,
            id="P-1",
            name="Na\x1bme",
            tier="diamond",
            country="AT",
            postal_code="12345",
            regions="AT:12345",
        ),
        # A refused id is not "required"; a refused lat is not "give lat and lon together".
        _row(
            PARTNERS_HEADER,
            id="P\x1b2",
            name="Zwei",
            tier="gold",
            country="DE",
            lat="4\x008",
            lon="11",
            service_radius_km="50",
            max_open_leads="0",
        ),
    )
    result = leadbot(database_url, "partners", "import", partners)
    assert result.exit_code == 1
    assert _problems(result.stderr) == [
        "line 2, name: contains a control character (U+001B); only printable text is accepted",
        "line 2, tier: 'diamond' is not a tier (known: platinum, gold, silver, registered)",
        "line 2, postal_code: '12345' is not a postal code of AT (4 digits)",
        "line 2, regions: 'AT:12345': a postal code prefix of AT has 1 to 4 digits",
        "line 3, id: contains a control character (U+001B); only printable text is accepted",
        "line 3, lat: contains a control character (U+0000); only printable text is accepted",
        "line 3, max_open_leads: 0 is out of range (1 to 100000)",
    ], result.stderr
    assert _count(database_url, Partner) == 0

    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    reps = _file(
        tmp_path,
        "reps.csv",
        REPS_HEADER,
        "P-DE-001,Na\x1bme,eins@alpen-it.example,bad,,boss,de",
        # The e-mail of the row above, whose problems do not make it unseen.
        "P-DE-001,Zwei,EINS@alpen-it.example,,,sales,de",
    )
    result = leadbot(database_url, "reps", "import", reps)
    assert result.exit_code == 1
    assert _problems(result.stderr) == [
        "line 2, name: contains a control character (U+001B); only printable text is accepted",
        "line 2, slack_user_id: 'bad' is not a Slack user id such as U0123456789",
        "line 2, role: 'boss' is not a role (known: sales, manager)",
        "line 3, email: eins@alpen-it.example appears twice (first on line 2)",
    ], result.stderr
    assert _count(database_url, Rep) == 0


def test_a_repeated_external_id_is_reported_when_its_first_record_has_problems(
    database_url: str, tmp_path: Path
) -> None:
    first = _row(
        LEADS_HEADER,
        external_id="d-1",
        company__name="Firma",
        company__address__country="DE",
        contact__email="a@firma.example",
        interest__products="X200",
        score="150",
    )
    again = first.replace(",150,", ",50,")
    path = _file(tmp_path, "leads.csv", LEADS_HEADER, first, again, again)
    result = leadbot(database_url, "leads", "import", path)
    assert result.exit_code == 1
    assert _problems(result.stderr) == [
        "line 2, score: Input should be less than or equal to 100",
        "line 3, external_id: 'd-1' repeats the external_id of line 2",
        "line 4, external_id: 'd-1' repeats the external_id of line 2",
    ], result.stderr

    leads = json.loads((EXAMPLES / "leads.json").read_text(encoding="utf-8"))[:2]
    leads[0]["score"] = 150
    leads[1]["external_id"] = f"  {leads[0]['external_id']}\u200b"  # trimmed: the same id
    leads[1]["colour"] = "blue"  # and a problem of its own, reported too
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(leads, indent=1), encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    problems = _problems(result.stderr)
    assert problems[0] == "[0] (line 2), score: Input should be less than or equal to 100"
    assert problems[1].endswith(", colour: unknown field"), result.stderr
    assert problems[2].endswith(
        f", external_id: {leads[0]['external_id']!r} repeats the external_id of [0] (line 2)"
    ), result.stderr
    assert len(problems) == 3
    assert _count(database_url, Lead) == 0


def test_line_numbers_are_the_files_own(database_url: str, tmp_path: Path) -> None:
    """After a message over four lines the next row is on line 6, not 3; a CR-only file
    (old Mac Excel) names a bad byte on the line an editor shows."""
    good = _row(
        LEADS_HEADER,
        external_id="m-1",
        company__name="Firma",
        company__address__country="DE",
        contact__email="a@firma.example",
        interest__products="X200",
        interest__message='"eins\nzwei\r\n\ndrei"',
    )
    bad = good.replace("m-1", "m-2").replace(",DE,", ",XX,")
    path = _file(tmp_path, "leads.csv", LEADS_HEADER, good, bad)
    result = leadbot(database_url, "leads", "import", path)
    assert result.exit_code == 1
    assert _problems(result.stderr) == [
        "line 6, company.address.country: must be a two-letter ISO country code such as DE, "
        "AT or CH"
    ], result.stderr

    lines = (EXAMPLES / "partners.csv").read_bytes().splitlines()[:4]
    lines[2] = lines[2].replace(b"Rheinland", b"Rheinl\xe4nd")  # Windows-1252
    path = tmp_path / "mac.csv"
    path.write_bytes(b"\r".join(lines) + b"\r")
    result = leadbot(database_url, "partners", "import", str(path))
    assert result.exit_code == 1
    assert "line 3: not UTF-8 text (byte 0xE4); save the file as 'CSV UTF-8'" in result.stderr
    assert _count(database_url, Partner) == 0
