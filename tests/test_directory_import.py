"""``leadbot partners import`` and ``leadbot reps import`` through the command, on both backends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.models import Lead, Offer, Partner, Rep
from tests.support.cli import EXAMPLES, db_session, leadbot, leadbot_process, load_demo

PARTNER_HEADER = (
    "id,name,tier,certifications,employees,annual_revenue_eur,country,postal_code,lat,lon,"
    "service_radius_km,regions,segments,products,max_open_leads,languages,slack_channel,"
    "telegram_chat_id"
)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _partners(database_url: str) -> dict[str, Partner]:
    with db_session(database_url) as session:
        return {p.id: p for p in session.scalars(select(Partner)).all()}


def _reps(database_url: str) -> dict[str, Rep]:
    with db_session(database_url) as session:
        return {r.email: r for r in session.scalars(select(Rep)).all()}


def test_example_partners_import_and_reimport(database_url: str) -> None:
    first = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"))
    assert first.exit_code == 0, first.output
    assert "20 partners: 20 new" in first.stdout

    partners = _partners(database_url)
    alpen = partners["P-DE-001"]
    assert alpen.name == "Alpen-IT Systemhaus GmbH"
    assert alpen.tier == "platinum"
    assert alpen.certifications == {
        "X-series": "expert",
        "Cloud": "advanced",
        "Security": "advanced",
    }
    assert alpen.regions == ["DE-BY"]
    assert alpen.products == ["X200", "X500", "C10", "S3"]
    assert (alpen.lat, alpen.lon, alpen.service_radius_km) == (48.1767, 11.5886, 120.0)
    assert alpen.languages == ["de", "en"]
    assert alpen.slack_channel == "C0ALPENIT01"
    assert alpen.telegram_chat_id == -1001000000001
    hanse = partners["P-DE-003"]
    assert hanse.regions == ["DE-HH", "DE-SH", "DE:21", "DE:27"]
    assert hanse.slack_channel is None and hanse.service_radius_km is None
    assert partners["P-DE-006"].postal_code == "01067"  # leading zero kept
    assert {p.country for p in partners.values()} == {"DE", "AT", "CH"}

    again = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"))
    assert again.exit_code == 0, again.output
    assert "20 partners: 20 unchanged" in again.stdout


def test_reimport_updates_by_id_and_leaves_leads_alone(database_url: str, tmp_path: Path) -> None:
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    assert leadbot(database_url, "leads", "import", str(EXAMPLES / "leads.json")).exit_code == 0
    with db_session(database_url) as session:
        leads_before = session.execute(select(Lead.id, Lead.status)).all()
        offers_before = session.scalar(select(func.count()).select_from(Offer))
    assert offers_before

    text = (EXAMPLES / "partners.csv").read_text(encoding="utf-8")
    text = text.replace(
        "P-DE-012,Frankfurter Systemintegration AG,gold,",
        "P-DE-012,Frankfurter Systemintegration AG,platinum,",
    )
    text += "P-DE-099,Neuer Partner GmbH,registered,,,,DE,,,,,DE-BY,,,,,,\n"
    text += "\u200b,,,, \ufeff,,,,,,,,,,,,,\n"  # nothing visible: a blank row, ignored
    result = leadbot(database_url, "partners", "import", _write(tmp_path, "p.csv", text))
    assert result.exit_code == 0, result.output
    assert "21 partners: 1 new, 1 updated, 19 unchanged" in result.stdout

    partners = _partners(database_url)
    assert partners["P-DE-012"].tier == "platinum"
    new = partners["P-DE-099"]
    assert new.segments == ["enterprise", "sme", "public"]  # empty: every segment
    assert new.languages == ["de"] and new.max_open_leads == 10 and new.active
    with db_session(database_url) as session:
        assert session.execute(select(Lead.id, Lead.status)).all() == leads_before
        assert session.scalar(select(func.count()).select_from(Offer)) == offers_before


def test_every_bad_row_is_reported_and_nothing_changes(database_url: str, tmp_path: Path) -> None:
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    before = {pid: (p.name, p.tier) for pid, p in _partners(database_url).items()}
    rows = [
        PARTNER_HEADER,
        # line 2: a valid update that must not be applied because other rows are bad
        "P-DE-001,Umbenannt GmbH,gold,,,,DE,,,,,,,,,,,",
        "P-X1,Schlecht,diamond,Y-series:basic;Cloud:guru,-3,1.200.000,XX,,91,,,DE-XX;ZZ;DE:8a,"
        "big,X999,0,fr,#general,abc",
        "P-X2,Radius,silver,,,,DE,1234,48.1,,50,,,,,,,",
        "P-X3,Radius ohne Ort,silver,,,,AT,,,,30,AT-9,,,,,U123,-100",
        ",Ohne Id,gold,,,,DE,,,,,,,,,,,",
        "P-DE-001,Doppelt,gold,,,,DE,,,,,,,,,,,",
        "p-de-002,Nur Gross/klein anders,gold,,,,DE,,,,,,,,,,,",
        "P-X4,,gold,X-series:basic;X-series:expert,,,CH,80331,,,,,,,,,C0SAME0001,",
        "P-X5,Kanal doppelt,gold,,,,CH,8001,,,,,,,,,C0SAME0001,",
        "P-X6,Zu viele Werte,gold,,,,DE,,,,,,,,,,,,extra",
        "P-X7,\u200b\ufeff,gold,,,,DE,,,,,,,,,,,",  # a name of nothing visible
    ]
    path = _write(tmp_path, "bad.csv", "\n".join(rows) + "\n")
    result = leadbot(database_url, "partners", "import", path)
    assert result.exit_code == 1
    err = result.stderr
    expected = [
        "line 3, tier: 'diamond' is not a tier",
        "line 3, certifications: 'Y-series' is not a product line",
        "'guru' is not a certification level",
        "line 3, employees: -3 is out of range",
        "line 3, annual_revenue_eur: '1.200.000': write whole numbers without thousands",
        "line 3, country: 'XX' is not an ISO 3166 country code",
        "line 3, lat: 91 is out of range",
        "line 3, regions: 'DE-XX' is not a subdivision of DE",
        "'ZZ' is not an ISO 3166 country code",
        "'DE:8a': a postal code prefix of DE has 1 to 5 digits",
        "line 3, segments: 'big' is not a segment",
        "line 3, products: 'X999' is not a product id",
        "line 3, max_open_leads: 0 is out of range",
        "line 3, languages: 'fr' is not a language",
        "line 3, slack_channel: '#general' is not a Slack channel id",
        "line 3, telegram_chat_id: 'abc' is not a Telegram chat id",
        "line 4, postal_code: '1234' is not a postal code of DE (5 digits)",
        "line 4, lon: give lat and lon together",
        "line 5, service_radius_km: a service radius needs the partner's lat and lon",
        "line 5, slack_channel: 'U123' is not a Slack channel id",
        "line 6, id: required",
        "line 7, id: 'P-DE-001' appears twice (first on line 2)",
        "line 8, id: 'p-de-002' differs only in case from partner 'P-DE-002'",
        "line 9, name: required",
        "line 9, certifications: 'X-series' is certified twice",
        "line 9, postal_code: '80331' is not a postal code of CH (4 digits)",
        "line 10, slack_channel: C0SAME0001 is already the channel of the partner on line 9",
        "line 11: 19 values, but the header has 18 columns",
        "line 12, name: required",
    ]
    for text in expected:
        assert text in err, f"{text!r} not reported in:\n{err}"
    assert "nothing was imported" in err
    assert result.stdout == ""
    after = {pid: (p.name, p.tier) for pid, p in _partners(database_url).items()}
    assert after == before


def test_header_problems(database_url: str, tmp_path: Path) -> None:
    path = _write(tmp_path, "h.csv", "id,name,nmae,tier,tier\nP1,A,B,gold,gold\n")
    result = leadbot(database_url, "partners", "import", path)
    assert result.exit_code == 1
    assert "line 1: unknown column 'nmae'" in result.stderr
    assert "line 1: column 'tier' appears twice (columns 4 and 5)" in result.stderr
    assert "line 1: missing column(s): country" in result.stderr
    assert _partners(database_url) == {}

    empty = leadbot(database_url, "partners", "import", _write(tmp_path, "e.csv", "\n\n"))
    assert empty.exit_code == 1 and "the file is empty" in empty.stderr


def test_german_excel_export(database_url: str, tmp_path: Path) -> None:
    """';' delimiter, BOM, decimal commas, quoted lists, Excel's sep= line, Windows newlines."""
    text = (
        "sep=;\r\n"
        "ID;Name;Tier;Certifications;Country;Postal_Code;Lat;Lon;Service_Radius_km;Regions;"
        "Products;Languages\r\n"
        'P-AT-9;Wiener Wäscherei-IT GmbH;Gold;"x-series:Advanced;cloud:basic";AT;1100;48,17;'
        '16,37;75,5;"AT-9;AT-3";"X200;C10";"en;de"\r\n'
        ";;;;;;;;;;;\r\n"
    )
    result = leadbot(database_url, "partners", "import", _write(tmp_path, "x.csv", "\ufeff" + text))
    assert result.exit_code == 0, result.output
    partner = _partners(database_url)["P-AT-9"]
    assert partner.name == "Wiener Wäscherei-IT GmbH"
    assert partner.tier == "gold"
    assert partner.certifications == {"X-series": "advanced", "Cloud": "basic"}
    assert (partner.lat, partner.lon, partner.service_radius_km) == (48.17, 16.37, 75.5)
    assert partner.regions == ["AT-9", "AT-3"] and partner.products == ["X200", "C10"]
    assert partner.languages == ["en", "de"] and partner.language == "en"


def test_unquoted_list_in_semicolon_file_is_caught(database_url: str, tmp_path: Path) -> None:
    text = "id;name;tier;country;regions\nP1;A;gold;DE;DE-BY;DE-BW\n"
    result = leadbot(database_url, "partners", "import", _write(tmp_path, "x.csv", text))
    assert result.exit_code == 1
    assert "line 2: 6 values, but the header has 5 columns (quote list cells" in result.stderr


def test_not_utf8_is_refused_with_its_line(database_url: str, tmp_path: Path) -> None:
    text = "id,name,tier,country\nP1,Müller GmbH,gold,DE\n"
    result = leadbot(database_url, "partners", "import", _write(tmp_path, "x.csv", text, "cp1252"))
    assert result.exit_code == 1
    assert "line 2: not UTF-8 text" in result.stderr and "CSV UTF-8" in result.stderr


def test_absent_columns_and_chat_ids_keep_stored_values(database_url: str, tmp_path: Path) -> None:
    full = (
        PARTNER_HEADER + "\n"
        "P1,Eins GmbH,gold,Cloud:basic,50,,DE,80331,48.1,11.5,40,DE-BY,sme,C10,7,de,"
        "C0EINS0001,-1001\n"
    )
    assert (
        leadbot(database_url, "partners", "import", _write(tmp_path, "a.csv", full)).exit_code == 0
    )

    short = "id,name,tier,country,max_open_leads,slack_channel,telegram_chat_id\n"
    short += "P1,Eins GmbH,silver,DE,,,-\n"
    result = leadbot(database_url, "partners", "import", _write(tmp_path, "b.csv", short))
    assert result.exit_code == 0, result.output
    assert "1 partner: 1 updated" in result.stdout
    p1 = _partners(database_url)["P1"]
    assert p1.tier == "silver"
    assert p1.max_open_leads == 10  # present but empty: the default
    assert p1.regions == ["DE-BY"] and p1.certifications == {"Cloud": "basic"}  # absent: kept
    assert p1.slack_channel == "C0EINS0001"  # empty chat cell: kept
    assert p1.telegram_chat_id is None  # '-': cleared


def test_deactivate_missing_and_dry_run(database_url: str, tmp_path: Path) -> None:
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    lines = (EXAMPLES / "partners.csv").read_text(encoding="utf-8").splitlines()
    few = _write(tmp_path, "few.csv", "\n".join(lines[:3]) + "\n")

    dry = leadbot(database_url, "partners", "import", few, "--deactivate-missing", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 partners: 2 unchanged; 18 not in the file deactivated" in dry.stdout
    assert "dry run" in dry.stdout
    assert all(p.active for p in _partners(database_url).values())

    real = leadbot(database_url, "partners", "import", few, "--deactivate-missing")
    assert real.exit_code == 0, real.output
    active = sorted(pid for pid, p in _partners(database_url).items() if p.active)
    assert active == ["P-DE-001", "P-DE-002"]
    assert len(_partners(database_url)) == 20  # deactivated, never deleted

    back = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"))
    assert "20 partners: 18 updated, 2 unchanged" in back.stdout
    assert all(p.active for p in _partners(database_url).values())
    assert "they keep" not in real.stdout  # no open leads: nothing to say about them

    # A header alone (an export gone wrong) would have switched off the whole directory.
    header = _write(tmp_path, "header.csv", lines[0] + "\n")
    for dry_run in (("--dry-run",), ()):
        empty = leadbot(
            database_url, "partners", "import", header, "--deactivate-missing", *dry_run
        )
        assert empty.exit_code == 1
        assert "no partners in the file; with --deactivate-missing every stored one" in (
            empty.stderr
        )
    assert all(p.active for p in _partners(database_url).values())


def test_reps_import_and_reimport(database_url: str, tmp_path: Path) -> None:
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    first = leadbot(database_url, "reps", "import", str(EXAMPLES / "reps.csv"))
    assert first.exit_code == 0, first.output
    assert "36 reps: 36 new" in first.stdout
    reps = _reps(database_url)
    sophie = reps["sophie.brandl@alpen-it.example"]
    assert (sophie.partner_id, sophie.slack_user_id, sophie.telegram_user_id) == (
        "P-DE-001",
        "U0ALPEN0002",
        100000001,
    )
    assert reps["james.whitfield@alpen-it.example"].language == "en"

    again = leadbot(database_url, "reps", "import", str(EXAMPLES / "reps.csv"))
    assert "36 reps: 36 unchanged" in again.stdout

    # Matched by e-mail (any case): rename, promote, move the Slack id to a colleague.
    text = (
        "partner_id,name,email,slack_user_id,role,language\n"
        "P-DE-001,Sophie Brandl-Huber,Sophie.Brandl@ALPEN-IT.example,-,manager,\n"
        "P-DE-001,James Whitfield,james.whitfield@alpen-it.example,U0ALPEN0002,sales,en\n"
        "P-DE-002,Neu Person,neu.person@rheinland-netzwerk.example,,,\n"
    )
    result = leadbot(database_url, "reps", "import", _write(tmp_path, "r.csv", text))
    assert result.exit_code == 0, result.output
    assert "3 reps: 1 new, 2 updated" in result.stdout
    reps = _reps(database_url)
    sophie = reps["sophie.brandl@alpen-it.example"]
    assert (sophie.name, sophie.role, sophie.slack_user_id) == (
        "Sophie Brandl-Huber",
        "manager",
        None,
    )
    assert sophie.telegram_user_id == 100000001  # column absent: kept
    assert sophie.language == "de"  # empty: the partner's language
    assert reps["james.whitfield@alpen-it.example"].slack_user_id == "U0ALPEN0002"
    newcomer = reps["neu.person@rheinland-netzwerk.example"]
    assert (newcomer.role, newcomer.language, newcomer.active) == ("sales", "de", True)


def test_bad_reps_are_all_reported(database_url: str, tmp_path: Path) -> None:
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    assert leadbot(database_url, "reps", "import", str(EXAMPLES / "reps.csv")).exit_code == 0
    before = {e: (r.name, r.slack_user_id) for e, r in _reps(database_url).items()}
    text = (
        "partner_id,name,email,slack_user_id,telegram_user_id,role,language\n"
        "P-DE-001,Gültig,gueltig@alpen-it.example,,,,\n"
        "P-NOPE,Niemand,niemand@example.com,,,,\n"
        "P-DE-001,Kaputt,kein-at-zeichen,C0123456,-5,boss,fr\n"
        "P-DE-001,,leer@alpen-it.example,,,,\n"
        "P-DE-002,Doppelt,GUELTIG@alpen-it.example,,,,\n"
        "P-DE-002,Fremde Id,fremd@rheinland-netzwerk.example,U0ALPEN0001,100000002,,\n"
        "P-DE-002,Gleiche Id,gleich@rheinland-netzwerk.example,,100000099,,\n"
        "P-DE-002,Gleiche Id 2,gleich2@rheinland-netzwerk.example,,100000099,,\n"
        f"P-DE-002,Zu Lang,{'z' * 65}@rheinland-netzwerk.example,,,,\n"
    )
    result = leadbot(database_url, "reps", "import", _write(tmp_path, "r.csv", text))
    assert result.exit_code == 1
    err = result.stderr
    for expected in (
        "line 3, partner_id: unknown partner 'P-NOPE'",
        "line 4, email: 'kein-at-zeichen' is not an e-mail address",
        "line 4, slack_user_id: 'C0123456' is not a Slack user id",
        "line 4, telegram_user_id: '-5' is not a Telegram user id",
        "line 4, role: 'boss' is not a role (known: sales, manager)",
        "line 4, language: 'fr' is not a language",
        "line 5, name: required",
        "line 6, email: gueltig@alpen-it.example appears twice (first on line 2)",
        "line 7, slack_user_id: U0ALPEN0001 already belongs to rep maximilian.huber@",
        "line 7, telegram_user_id: 100000002 already belongs to rep lena.kraemer@",
        "line 9, telegram_user_id: 100000099 appears twice (first on line 8)",
        "line 10, email: ",
        " is not an e-mail address: the part before the @ has 65 characters; at most 64 are "
        "allowed (RFC 5321)",
    ):
        assert expected in err, f"{expected!r} not reported in:\n{err}"
    assert {e: (r.name, r.slack_user_id) for e, r in _reps(database_url).items()} == before


def test_an_address_with_letters_beyond_ascii_before_the_at_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    """``ümit@…`` passed the import and then failed for good at its first mail: the SMTP
    server offers no SMTPUTF8 (many do not), and nobody is there to correct it. It is
    refused at the import now, naming line and why, and the file imports nothing — unless
    ``[email] smtputf8`` says the mail path takes it. A domain beyond ASCII is fine: it
    has an ASCII form."""
    assert (
        leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv")).exit_code == 0
    )
    before = set(_reps(database_url))
    text = (
        "partner_id,name,email\n"
        "P-DE-001,Anna Müller,anna@müller-söhne.example\n"
        "P-DE-001,Ümit Yılmaz,ümit@alpen-it.example\n"
    )
    path = _write(tmp_path, "r.csv", text)
    refused = leadbot(database_url, "reps", "import", path)
    assert refused.exit_code == 1
    assert (
        "line 3, email: 'ümit@alpen-it.example' cannot be mailed: the part before the @ has "
        "letters beyond ASCII (ü): mail to it needs SMTPUTF8" in refused.stderr
    ), refused.stderr
    assert "line 2" not in refused.stderr
    assert set(_reps(database_url)) == before

    inbox = _write(
        tmp_path,
        "p.csv",
        f"{PARTNER_HEADER},email\n"
        "P-M1,Mail GmbH,gold,,,,DE,,,,,,,,,,,,postfach-für-leads@mail.example\n",
    )
    refused = leadbot(database_url, "partners", "import", inbox)
    assert refused.exit_code == 1
    assert "line 2, email: 'postfach-für-leads@mail.example' cannot be mailed" in refused.stderr
    assert "P-M1" not in _partners(database_url)

    allowed = leadbot(database_url, "reps", "import", path, LEADBOT_EMAIL__SMTPUTF8="true")
    assert allowed.exit_code == 0, allowed.output
    assert {"anna@müller-söhne.example", "ümit@alpen-it.example"} <= set(_reps(database_url))


def test_import_needs_a_migrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = leadbot(url, "partners", "import", str(EXAMPLES / "partners.csv"))
    assert result.exit_code == 1
    assert "run `leadbot migrate` first" in result.stderr
    assert not (tmp_path / "fresh.db").exists()  # no empty file left behind


def test_utf16_and_tab_separated(database_url: str, tmp_path: Path) -> None:
    """Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated."""
    text = "id\tname\ttier\tcountry\tregions\nP-CH-7\tZürcher Netz AG\tsilver\tCH\tCH-ZH;CH:80\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    result = leadbot(database_url, "partners", "import", str(path))
    assert result.exit_code == 0, result.output
    partner = _partners(database_url)["P-CH-7"]
    assert (partner.name, partner.regions) == ("Zürcher Netz AG", ["CH-ZH", "CH:80"])


def test_partner_lead_inbox_column(database_url: str, tmp_path: Path) -> None:
    """The optional last column ``email``: checked like reps' e-mails, stored lower-case."""
    header = PARTNER_HEADER + ",email"
    bad = _write(
        tmp_path,
        "bad.csv",
        f"{header}\nP-M1,Mail GmbH,gold,,,,DE,,,,,,,,,,,,leads@@mail.example\n"
        "P-M2,Ok GmbH,gold,,,,DE,,,,,,,,,,,,Leads@OK.example\n",
    )
    refused = leadbot(database_url, "partners", "import", bad)
    assert refused.exit_code == 1
    assert "line 2, email: 'leads@@mail.example' is not an e-mail address" in refused.stderr
    assert _partners(database_url) == {}

    good = _write(
        tmp_path,
        "good.csv",
        f"{header}\nP-M1,Mail GmbH,gold,,,,DE,,,,,,,,,,,,Leads@Mail.Example\n"
        "P-M2,Ohne Postfach,gold,,,,DE,,,,,,,,,,,,\n",
    )
    assert leadbot(database_url, "partners", "import", good).exit_code == 0
    partners = _partners(database_url)
    assert partners["P-M1"].email == "leads@mail.example"
    assert partners["P-M2"].email is None


def test_a_directory_imported_before_any_products_are_configured_says_so(
    database_url: str, tmp_path: Path
) -> None:
    """A first try with a config file that has no [[products]] yet (or leadbot run where
    the operator's bot.toml is not): the error says once what is missing and where leadbot
    looks, instead of one line per partner and product; other problems are still listed."""
    config = tmp_path / "no-products.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    lines = (EXAMPLES / "partners.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",DE,", ",XX,", 1)  # line 3: a country that does not exist
    partners = _write(tmp_path, "partners.csv", "\n".join(lines) + "\n")
    result = leadbot_process("partners", "import", partners, config=config)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"leadbot: {partners} has 2 problems; nothing was imported:",
        "  file: it names products or certifications, but the configuration has no "
        "[[products]]: configure them first (leadbot reads --config, else $LEADBOT_CONFIG, "
        "else ./bot.toml)",
    ]
    assert "line 3, country: 'XX'" in result.stderr
    assert "product id" not in result.stderr
    assert not _partners(database_url)


def test_deactivating_a_partner_that_owns_open_leads_says_it_keeps_them(
    database_url: str, tmp_path: Path
) -> None:
    """A partner switched off by ``--deactivate-missing`` keeps its open leads (its reps may
    finish them). The summary said only "1 not in the file deactivated": the operator did
    not learn that leads were still with a partner they had just removed."""
    config = load_demo(database_url, tmp_path)
    anna = "maximilian.huber@alpen-it.example"  # P-DE-001
    claimed = leadbot_process("console", config=config, stdin=f"as {anna}\nclaim 1\nquit\n")
    assert "Lead #1" in claimed.stdout, claimed.stdout
    lines = (EXAMPLES / "partners.csv").read_text(encoding="utf-8").splitlines()
    others = [line for line in lines if not line.startswith("P-DE-001,")]
    rest = _write(tmp_path, "rest.csv", "\n".join(others) + "\n")

    result = leadbot(database_url, "partners", "import", rest, "--deactivate-missing")
    assert result.exit_code == 0, result.output
    assert (
        "; 1 not in the file deactivated (they keep 1 open lead; `leadbot leads recall LEAD` gives "
        "one to others)" in result.stdout
    ), result.stdout
    with db_session(database_url) as session:
        lead = session.get(Lead, 1)
        assert lead is not None and lead.owner_partner_id == "P-DE-001"  # kept, as said
    worked = leadbot_process("console", config=config, stdin=f"as {anna}\ncontacted 1\nquit\n")
    assert "✔ Lead #1: kontaktiert." in worked.stdout, worked.stdout  # its rep may finish it


def test_imports_warn_about_active_partners_nobody_can_claim_for(
    database_url: str, tmp_path: Path
) -> None:
    """Partners imported before their reps, or whose reps were all deactivated, are offered
    leads (matching reads the directory) but nobody there can press Claim: each such offer
    only waits for its wave to end. Every import says so until their reps are in."""
    partners = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"))
    assert partners.exit_code == 0, partners.output
    assert partners.stderr == ""  # the first set-up: the reps file comes next, as documented

    lines = (EXAMPLES / "reps.csv").read_text(encoding="utf-8").splitlines()
    few = _write(tmp_path, "few.csv", "\n".join(lines[:3]) + "\n")  # two reps of P-DE-001
    reps = leadbot(database_url, "reps", "import", few)
    assert reps.exit_code == 0, reps.output
    assert "leadbot: warning: 19 active partners have no active rep (P-AT-001, " in reps.stderr
    assert (
        "and 14 more): leads are offered to them, but nobody there can claim one — import "
        "their reps (leadbot reps import)" in reps.stderr
    ), reps.stderr
    again = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"))
    assert "19 active partners have no active rep" in again.stderr  # reps are stored now

    reps = leadbot(database_url, "reps", "import", str(EXAMPLES / "reps.csv"))
    assert reps.exit_code == 0, reps.output
    assert "no active rep" not in reps.stderr

    others = [line for line in lines if not line.startswith("P-DE-001,")]
    rest = _write(tmp_path, "rest.csv", "\n".join(others) + "\n")
    dry = leadbot(database_url, "reps", "import", rest, "--deactivate-missing", "--dry-run")
    assert "leadbot: warning: 1 active partner has no active rep (P-DE-001):" in dry.stderr
    assert all(r.active for r in _reps(database_url).values())  # a dry run, as it says


def test_a_partners_import_warns_about_active_partners_no_enabled_chat_reaches(
    database_url: str, tmp_path: Path
) -> None:
    """Matching reads the directory, not the channels: a partner with no Slack channel,
    Telegram chat or lead inbox on the platforms this configuration enables is offered
    leads nobody there sees. Every partners import names them."""
    chats = {"LEADBOT_CONSOLE__ENABLED": "false", "LEADBOT_SLACK__ENABLED": "true"}
    first = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"), **chats)
    assert first.exit_code == 0, first.output
    assert "20 partners: 20 new" in first.stdout
    # Slack alone: the 12 example partners without a slack_channel.
    assert first.stderr == (
        "leadbot: warning: 12 active partners have no channel for teasers (P-AT-002, "
        "P-AT-003, P-AT-004, P-CH-002, P-CH-003 and 7 more): leads are offered to them, but "
        "nobody there sees one — fill in their slack_channel, telegram_chat_id or email "
        "column for a platform this config enables, or pause them (leadbot partners pause "
        "ID)\n"
    ), first.stderr
    both = {**chats, "LEADBOT_TELEGRAM__ENABLED": "true"}
    again = leadbot(database_url, "partners", "import", str(EXAMPLES / "partners.csv"), **both)
    assert "leadbot: warning: 9 active partners have no channel for teasers (P-AT-002, " in (
        again.stderr
    )
    assert "P-DE-003" not in again.stderr  # its Telegram chat reaches it now

    # A lead inbox is a channel where e-mail is on; the rest of the file is deactivated.
    header, *rows = (EXAMPLES / "partners.csv").read_text(encoding="utf-8").splitlines()
    [row] = [line for line in rows if line.startswith("P-DE-004,")]
    mailed = _write(tmp_path, "one.csv", f"{header},email\n{row},leads@p4.example\n")
    mail = {**both, "LEADBOT_EMAIL__ENABLED": "true"}
    alone = leadbot(database_url, "partners", "import", mailed, "--deactivate-missing", **mail)
    assert alone.exit_code == 0, alone.output
    assert "no channel for teasers" not in alone.stderr, alone.stderr
    without_mail = leadbot(database_url, "partners", "import", mailed, **both)
    assert "1 active partner has no channel for teasers (P-DE-004):" in without_mail.stderr

    # The shipped bot.toml has the console on, which reaches every partner; a
    # configuration with no chat at all is one for imports only, and hears nothing.
    assert leadbot(database_url, "partners", "import", mailed).stderr == ""
    no_chat = {"LEADBOT_CONSOLE__ENABLED": "false"}
    assert leadbot(database_url, "partners", "import", mailed, **no_chat).stderr == ""
