"""``leadbot leads import`` (JSON and CSV) through the command, on both backends."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.models import HoldReason, Lead, LeadPersonalData, LeadStatus, OutboxMessage
from tests.support.cli import EXAMPLES, db_session, leadbot
from tests.support.factories import lead_payload


def _directory(database_url: str) -> None:
    for kind, name in (("partners", "partners.csv"), ("reps", "reps.csv")):
        result = leadbot(database_url, kind, "import", str(EXAMPLES / name))
        assert result.exit_code == 0, result.output


def _lead_count(database_url: str) -> int:
    with db_session(database_url) as session:
        return session.scalar(select(func.count()).select_from(Lead)) or 0


def _write_json(tmp_path: Path, data: object) -> str:
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_example_leads_json_import_is_idempotent(database_url: str) -> None:
    _directory(database_url)
    first = leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.json"))
    assert first.exit_code == 0, first.output
    assert "10 leads: 10 new" in first.stdout
    assert "2 held" in first.stdout

    with db_session(database_url) as session:
        leads = {lead.external_id: lead for lead in session.scalars(select(Lead)).all()}
        no_consent, duplicate = leads["crm-2026-0008"], leads["crm-2026-0009"]
        assert (no_consent.status, no_consent.hold_reason) == (
            LeadStatus.HELD,
            HoldReason.NO_CONSENT,
        )
        assert (duplicate.status, duplicate.hold_reason) == (
            LeadStatus.HELD,
            HoldReason.POSSIBLE_DUPLICATE,
        )
        assert duplicate.duplicate_of_id == leads["crm-2026-0002"].id
        assert leads["crm-2026-0002"].consent_allowed_tiers == ["platinum", "gold"]
        staff = session.scalars(select(OutboxMessage).where(OutboxMessage.address == "staff")).all()
        events = {(m.lead_id, m.payload["event"]) for m in staff}
        assert (duplicate.id, "duplicate") in events
        assert (no_consent.id, "held") in events
        personal = session.get(LeadPersonalData, leads["crm-2026-0001"].id)
        assert personal is not None and personal.company_name == "Bergbrauerei Wallner GmbH"

    again = leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.json"))
    assert again.exit_code == 0, again.output
    assert "10 leads: 10 already known" in again.stdout
    assert _lead_count(database_url) == 10


def test_csv_import(database_url: str) -> None:
    _directory(database_url)
    result = leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.csv"))
    assert result.exit_code == 0, result.output
    assert "3 leads: 3 new" in result.stdout
    with db_session(database_url) as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == "crm-2026-0102"))
        assert lead is not None
        assert lead.products == ["C10", "S3"]
        assert lead.consent_partner_contact is True  # "ja"
        assert lead.employees == 210 and lead.country == "DE"
        personal = session.get(LeadPersonalData, lead.id)
        assert personal is not None
        assert (personal.city, personal.street) == ("Gießen", None)  # empty cell: absent
    again = leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.csv"))
    assert "3 leads: 3 already known" in again.stdout


def test_bad_json_records_are_all_reported_and_nothing_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    good = lead_payload(external_id="ok-1")
    records = [
        good,
        lead_payload(external_id="bad-1", **{"company.name": "", "colour": "red"}),
        lead_payload(
            external_id="bad-2",
            **{
                "interest.products": ["X200", "Z9"],
                "consent.allowed_tiers": ["diamond"],
                "company.address.country": "Germany",
            },
        ),
        "not a lead",
        lead_payload(external_id="ok-1", **{"contact.email": "x@y.example"}),
        lead_payload(external_id="bad-3", contact={"name": "Nobody"}),
    ]
    result = leadbot(database_url, "leads", "import", _write_json(tmp_path, records))
    assert result.exit_code == 1
    err = result.stderr
    for expected in (
        "has 8 problems; nothing was imported",
        "[1] (line ",
        "company.name: String should have at least 1 character",
        "colour: unknown field",
        "interest.products[1]: unknown product 'Z9'",
        "consent.allowed_tiers[0]: unknown tier 'diamond'",
        "company.address.country: must be a two-letter ISO country code",
        "[3] (line ",
        ": expected a lead object",
        "external_id: 'ok-1' repeats the external_id of [0]",
        "contact: an email or a phone number is needed",
    ):
        assert expected in err, f"{expected!r} not in:\n{err}"
    assert _lead_count(database_url) == 0


def test_json_syntax_error_names_line_and_column(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"external_id": "a",,}\n]\n', encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    assert "line 2, column 23: not valid JSON" in result.stderr


def test_a_key_given_twice_names_its_record(database_url: str, tmp_path: Path) -> None:
    """The parser refuses a key twice without knowing where; the problem still names the
    record, as every other problem of a lead file does."""
    records = [lead_payload(external_id=f"twice-{i}") for i in range(3)]
    text = json.dumps(records, indent=2)
    marker = '"external_id": "twice-2"'
    at = text.index(marker)
    line = text.count("\n", 0, text.rindex("{", 0, at)) + 1  # where record [2] starts
    text = text[:at] + '"external_id": "x",\n    ' + text[at:]
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    expected = f'[2] (line {line}): the key "external_id" appears twice in one object'
    assert expected in result.stderr, result.stderr
    assert _lead_count(database_url) == 0

    single = tmp_path / "single.json"
    single.write_text('{"score": 1, "score": 2}', encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(single))
    assert result.exit_code == 1
    assert 'lead: the key "score" appears twice in one object' in result.stderr, result.stderr


def test_consent_given_in_the_future_is_kept_and_warned_about(
    database_url: str, tmp_path: Path
) -> None:
    """As the API: the lead is imported as given and the warning names its record; a few
    minutes ahead of the import are clock skew."""
    now = datetime.now(UTC)
    soon, tomorrow = (now + timedelta(minutes=2)).isoformat(), (now + timedelta(days=1)).isoformat()
    records = [
        lead_payload(external_id="c-1", **{"consent.given_at": soon}),
        lead_payload(
            external_id="c-2",
            **{
                "consent.given_at": tomorrow,
                "contact.email": "kontakt@firma-2.example",
                "company.domain": "firma-2.example",
            },
        ),
    ]
    result = leadbot(database_url, "leads", "import", _write_json(tmp_path, records))
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "consent.given_at" in line]
    assert len(warned) == 1, result.stderr
    assert warned[0].startswith("leadbot: warning: [1] (line "), warned
    assert "after the lead arrived; kept as given — is the time zone right?" in warned[0]
    assert _lead_count(database_url) == 2


def test_unknown_allowed_partners_are_warned_about_per_lead(
    database_url: str, tmp_path: Path
) -> None:
    """As the API's ``unknown_partner`` warning: the lead is stored, the import goes on,
    and whoever maintains the CRM mapping learns of the typo."""
    _directory(database_url)

    def lead(n: int, partners: list[str]) -> dict[str, object]:
        return lead_payload(
            external_id=f"up-{n}",
            **{
                "consent.allowed_partners": partners,
                "contact.email": f"kontakt@firma-{n}.example",
                "company.domain": f"firma-{n}.example",
            },
        )

    many = [f"P-GONE-{i:02}" for i in range(12)]
    records = [lead(0, []), lead(1, ["P-DE-01"]), lead(2, many)]
    result = leadbot(database_url, "leads", "import", _write_json(tmp_path, records))
    assert result.exit_code == 0, result.output
    assert "3 leads: 3 new" in result.stdout and "; 2 naming unknown partners" in result.stdout
    warnings = [
        re.sub(r"\(line \d+\)", "(line N)", line)
        for line in result.stderr.splitlines()
        if "allowed_partners" in line
    ]
    assert warnings == [
        "leadbot: warning: [1] (line N), consent.allowed_partners: 'P-DE-01': not an active "
        "partner; the lead may go to the partners named only, and went to none",
        "leadbot: warning: [2] (line N), consent.allowed_partners: "
        + ", ".join(repr(p) for p in many[:10])
        + " and 2 more: not an active partner; the lead may go to the partners named only, "
        "and went to none",
    ], result.stderr
    assert _lead_count(database_url) == 3

    again = leadbot(database_url, "leads", "import", _write_json(tmp_path, records))
    assert "3 leads: 3 already known" in again.stdout  # stored before: no new warning
    assert "allowed_partners" not in again.stderr


def test_single_object_json(database_url: str, tmp_path: Path) -> None:
    result = leadbot(database_url, "leads", "import", _write_json(tmp_path, lead_payload()))
    assert result.exit_code == 0, result.output
    assert "1 lead: 1 new (1 unmatched)" in result.stdout  # no partners imported


def test_bad_csv_rows_name_line_and_column(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "external_id;company.name;company.address.country;company.address.lat;"
        "contact.email;interest.products;consent.partner_contact\n"
        "c-1;Firma A;DE;48,1;a@a.example;X200;vielleicht\n"
        'c-2;;DE;;kein-at;"X200;Z1";ja\n'
        "c-3;Firma C;DE;;c@c.example;X200;ja\n",
        encoding="utf-8",
    )
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    err = result.stderr
    for expected in (
        "line 2, consent.partner_contact: 'vielleicht' is not true or false",
        "line 2, company.address: lat and lon must be given together",
        "line 3, company.name: required",
        "line 3, contact.email: value is not a valid email address",
        "line 3, interest.products (item 2): unknown product 'Z1'",
    ):
        assert expected in err, f"{expected!r} not in:\n{err}"
    assert "line 4" not in err
    assert _lead_count(database_url) == 0


def test_csv_message_may_span_lines_but_a_name_may_not(database_url: str, tmp_path: Path) -> None:
    """Running text keeps its line breaks (a quoted cell); a name is one line."""
    header = "external_id;company.name;company.address.country;contact.email;"
    header += "interest.products;interest.message\n"
    path = tmp_path / "leads.csv"
    path.write_text(
        header + 'c-1;Firma A;DE;a@a.example;X200;"Bitte anrufen.\nAb 14 Uhr\terreichbar."\n',
        encoding="utf-8",
    )
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 0, result.output
    with db_session(database_url) as session:
        personal = session.scalars(select(LeadPersonalData)).one()
    assert personal.message == "Bitte anrufen.\nAb 14 Uhr\terreichbar."

    path.write_text(header + 'c-2;"Firma\nB";DE;b@b.example;X200;\n', encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    assert "line 2, company.name: contains a control character (U+000A)" in result.stderr
    assert _lead_count(database_url) == 1


def test_csv_whole_numbers_refuse_thousands_separators_and_fractions(
    database_url: str, tmp_path: Path
) -> None:
    """``25.000`` is 25 thousand to a German reader: refused like in the partners file,
    never stored as 25 €. Decimal columns (lat/lon) keep their decimal comma."""
    _directory(database_url)
    path = tmp_path / "leads.csv"
    path.write_text(
        "external_id;score;company.name;company.employees;company.annual_revenue_eur;"
        "company.address.country;company.address.lat;company.address.lon;contact.email;"
        "interest.products;interest.estimated_value_eur\n"
        "c-1;50;Firma A;12;;DE;48,137;11,575;a@a.example;X200;25.000\n"
        "c-2;50;Firma B;1.5;1,200,000;DE;;;b@b.example;X200;25000\n"
        "c-3;7,5;Firma C;12;;DE;;;c@c.example;X200;25000.0\n"
        "c-4;50;Firma D;12;1200000;DE;48.1;11.5;d@d.example;X200;25000\n",
        encoding="utf-8",
    )
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    err = result.stderr
    for expected in (
        "line 2, interest.estimated_value_eur: '25.000': write whole numbers without "
        "thousands separators",
        "line 3, company.employees: '1.5' is not a whole number",
        "line 3, company.annual_revenue_eur: '1,200,000': write whole numbers without "
        "thousands separators",
        "line 4, score: '7,5' is not a whole number",
        "line 4, interest.estimated_value_eur: '25000.0' is not a whole number",
    ):
        assert expected in err, f"{expected!r} not in:\n{err}"
    assert "line 2, company.address" not in err and "line 5" not in err
    assert _lead_count(database_url) == 0  # a file with a problem imports nothing

    path.write_text(
        path.read_text(encoding="utf-8").splitlines()[0]
        + "\n"
        + ("c-4;50;Firma D;12;1200000;DE;48,137;11,575;d@d.example;X200;25000\n"),
        encoding="utf-8",
    )
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 0, result.output
    with db_session(database_url) as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == "c-4"))
        assert lead is not None and lead.estimated_value_eur == 25000


def test_csv_header_problems(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("company.name,company.adress.country,interest.products\n", encoding="utf-8")
    result = leadbot(database_url, "leads", "import", str(path))
    assert result.exit_code == 1
    assert "unknown column 'company.adress.country'" in result.stderr
    assert "missing column(s): company.address.country" in result.stderr


def test_dry_run_and_unknown_extension(database_url: str, tmp_path: Path) -> None:
    _directory(database_url)
    dry = leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.json"), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "10 leads: 10 new" in dry.stdout and "dry run" in dry.stdout
    assert _lead_count(database_url) == 0

    odd = tmp_path / "leads.txt"
    odd.write_text(json.dumps([lead_payload()]), encoding="utf-8")
    unknown = leadbot(database_url, "leads", "import", str(odd))
    assert unknown.exit_code == 2 and "--format" in unknown.stderr
    forced = leadbot(database_url, "leads", "import", str(odd), "--format", "json")
    assert forced.exit_code == 0, forced.output
    assert _lead_count(database_url) == 1


def test_make_run_sequence_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    """What `make run` does before the console: twice, the second time changing nothing."""
    url = f"sqlite:///{tmp_path / 'leadbot.db'}"
    steps = (
        ("migrate",),
        ("partners", "import", str(EXAMPLES / "partners.csv")),
        ("reps", "import", str(EXAMPLES / "reps.csv")),
        ("leads", "import", str(EXAMPLES / "leads.json")),
    )
    first = [leadbot(url, *step) for step in steps]
    assert all(r.exit_code == 0 for r in first), [r.output for r in first]
    assert [r.stderr for r in first] == ["", "", "", ""]
    assert "20 partners: 20 new" in first[1].stdout
    assert "36 reps: 36 new" in first[2].stdout
    assert "10 leads: 10 new" in first[3].stdout
    second = [leadbot(url, *step) for step in steps]
    assert all(r.exit_code == 0 for r in second), [r.output for r in second]
    assert "up to date" in second[0].stdout
    assert "20 partners: 20 unchanged" in second[1].stdout
    assert "36 reps: 36 unchanged" in second[2].stdout
    assert "10 leads: 10 already known" in second[3].stdout
