"""Is a news item about a lead's company? Precision matters more than recall (no database)."""

from __future__ import annotations

import pytest

from bot.news.match import (
    Article,
    CompanyIndex,
    CompanyMatcher,
    distinctive,
    name_core,
    tokens,
)


def about(matcher: CompanyMatcher, title: str, summary: str = "", link: str | None = None):
    return matcher.match(Article.of(title, summary, link))


def test_normalisation_umlauts_accents_punctuation_and_legal_forms() -> None:
    assert name_core("Müller & Söhne Präzisionstechnik GmbH & Co. KG") == name_core(
        "MUELLER SOEHNE PRAEZISIONSTECHNIK"
    )
    assert name_core("Huber-Müller Systems AG") == name_core("Huber Muller Systems")
    assert name_core("Café Crème S.A.") == tuple(tokens("cafe creme"))
    assert name_core("Brauverein Isar e.V.") == tuple(tokens("brauverein isar"))
    assert name_core("The Coca-Cola Company") == tuple(tokens("coca cola"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Müller GmbH", False),  # a common surname alone
        ("Bau AG", False),  # a generic word alone
        ("Technik GmbH", False),
        ("Müller Bau GmbH", False),  # surname + generic word
        ("Autohaus Schmidt GmbH", False),
        ("Brauerei Huber GmbH", False),
        ("Siemens AG", False),  # one word: only its domain or ticker identify it
        ("Zeppelin Systems GmbH", True),
        ("Huber Müller Präzisionstechnik GmbH", True),
        ("Schmidt & Meyer GmbH", True),  # two surnames together are specific enough
    ],
)
def test_only_distinctive_names_can_match_by_name(name: str, expected: bool) -> None:
    assert distinctive(name_core(name)) is expected


def test_mueller_alone_matches_nothing() -> None:
    mueller = CompanyMatcher("Müller GmbH", None, None)
    assert not mueller.usable
    assert about(mueller, "Müller GmbH meldet Rekordumsatz") is None
    bau = CompanyMatcher("Müller Bau GmbH", None, None)
    assert about(bau, "Müller Bau gewinnt Ausschreibung", "Thomas Müller baut") is None


def test_distinctive_name_matches_as_a_whole_phrase_only() -> None:
    zeppelin = CompanyMatcher("Zeppelin Systems GmbH", None, None)
    assert about(zeppelin, "ZEPPELIN-SYSTEMS erhält Großauftrag") == "name"
    assert about(zeppelin, "Zeppelin museum", "new systems for visitors") is None
    assert about(zeppelin, "Zeppelin Systemsintegration") is None
    precision = CompanyMatcher("Huber Müller Präzisionstechnik GmbH", None, None)
    assert about(precision, "Huber-Mueller Praezisionstechnik expands") == "name"
    assert about(precision, "Huber Muller Prazisionstechnik expands") == "name"


def test_domain_matches_in_text_or_as_the_links_site() -> None:
    huber = CompanyMatcher("Brauerei Huber GmbH", "brauerei-huber.de", None)
    assert about(huber, "Neue Abfüllanlage", "Mehr unter www.brauerei-huber.de/presse") == "domain"
    assert about(huber, "Pressemitteilung", link="https://presse.brauerei-huber.de/p/1") == "domain"
    assert about(huber, "Brauerei Huber eröffnet Biergarten") is None  # name not distinctive
    assert about(huber, "see brauerei-huber.de.example.org") is None
    assert about(huber, "see alt-brauerei-huber.de") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Siemens-Aktie ($SIE) legt zu", "ticker"),
        ("Siemens (SIE) hebt Prognose an", "ticker"),
        ("Kurs (XETRA: SIE) steigt", "ticker"),
        ("XETRA: SIE schließt fester", "ticker"),
        ("Anleger kaufen SIE.DE", "ticker"),
        ("Sie haben es geschafft", None),
        ("SIE ist ein Pronomen", None),
        ("$SIEX steigt", None),
        ("(SIEMENS) news", None),
    ],
)
def test_ticker_only_in_ticker_form_and_case(text: str, expected: str | None) -> None:
    siemens = CompanyMatcher("Siemens AG", None, "SIE")
    assert about(siemens, text) == expected


def test_domain_in_an_e_mail_address_counts() -> None:
    huber = CompanyMatcher("Brauerei Huber GmbH", "brauerei-huber.de", None)
    assert about(huber, "Kontakt", "maria.huber@brauerei-huber.de") == "domain"


def test_index_finds_the_same_as_checking_each_company() -> None:
    companies = {
        1: CompanyMatcher("Zeppelin Systems GmbH", "zeppelin-systems.de", None),
        2: CompanyMatcher("Siemens AG", "siemens.com", "SIE"),
        3: CompanyMatcher("Müller GmbH", "mueller-gmbh.de", None),
        4: CompanyMatcher("Zeppelin Baumaschinen GmbH", None, None),
        5: CompanyMatcher("SAP SE", None, "SAP.DE"),
    }
    index = CompanyIndex(companies.items())
    texts = [
        ("Zeppelin Systems und Siemens (SIE) kooperieren", None),
        ("Zeppelin Baumaschinen wächst", "https://presse.mueller-gmbh.de/x"),
        ("Müller GmbH: Zeppelin expandiert; SAP.DE fällt", None),
        ("Nichts Besonderes", "https://siemens.com.example.org/"),
    ]
    for title, link in texts:
        article = Article.of(title, None, link)
        expected = {k: m.match(article) for k, m in companies.items() if m.match(article)}
        assert index.find(article) == expected
    assert index.find(Article.of(*texts[0], None)) == {1: "name", 2: "ticker"}
    assert index.find(Article.of("Müller GmbH: Zeppelin expandiert; SAP.DE fällt", None, None)) == {
        5: "ticker"
    }
