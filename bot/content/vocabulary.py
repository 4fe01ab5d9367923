"""The closed vocabularies a teaser shows, and how loose CRM values map onto them.

CRMs and marketing tools send picklist values of their own — ``"Q1 2027"`` for the
timeline, ``"Food & Beverage"`` for the industry. Such a lead is taken in with the value
kept as given (losing a hot lead over a picklist value is worse than a vague teaser), and
teasers show the nearest vocabulary value: a timeline becomes the band its start falls in,
counted from the day the lead arrived; a known synonym becomes its industry. What cannot
be mapped is shown as ``unknown`` (timeline) or ``other`` (industry) — never the free
text itself, which could identify the prospect. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from datetime import date

TIMELINES: tuple[str, ...] = ("immediate", "3_months", "6_months", "12_months", "later", "unknown")

KNOWN_INDUSTRIES: frozenset[str] = frozenset(
    {
        "manufacturing",
        "automotive",
        "chemicals",
        "construction",
        "energy",
        "finance",
        "insurance",
        "healthcare",
        "pharma",
        "retail",
        "wholesale",
        "logistics",
        "it",
        "telecom",
        "media",
        "hospitality",
        "food",
        "agriculture",
        "public",
        "government",
        "education",
        "services",
        "real-estate",
        "other",
    }
)
"""Industries shown in teasers as given; synonyms map onto them, the rest is ``other``."""

INDUSTRY_SYNONYMS: dict[str, str] = {
    "food & beverage": "food",
    "food and beverage": "food",
    "food & beverages": "food",
    "f&b": "food",
    "beverages": "food",
    "lebensmittel": "food",
    "nahrungsmittel": "food",
    "getränke": "food",
    "brewery": "food",
    "brauerei": "food",
    "maschinenbau": "manufacturing",
    "industrie": "manufacturing",
    "industrial": "manufacturing",
    "industrial machinery": "manufacturing",
    "machinery": "manufacturing",
    "produktion": "manufacturing",
    "fertigung": "manufacturing",
    "automobil": "automotive",
    "automobilindustrie": "automotive",
    "auto": "automotive",
    "chemie": "chemicals",
    "chemical": "chemicals",
    "bau": "construction",
    "bauwesen": "construction",
    "energie": "energy",
    "utilities": "energy",
    "versorger": "energy",
    "banking": "finance",
    "bank": "finance",
    "banken": "finance",
    "financial services": "finance",
    "finanzen": "finance",
    "finanzdienstleistungen": "finance",
    "versicherung": "insurance",
    "versicherungen": "insurance",
    "gesundheitswesen": "healthcare",
    "health care": "healthcare",
    "hospital": "healthcare",
    "krankenhaus": "healthcare",
    "pharmaceuticals": "pharma",
    "pharmazie": "pharma",
    "life sciences": "pharma",
    "handel": "retail",
    "einzelhandel": "retail",
    "e-commerce": "retail",
    "ecommerce": "retail",
    "großhandel": "wholesale",
    "logistik": "logistics",
    "transport": "logistics",
    "transportation": "logistics",
    "information technology": "it",
    "it services": "it",
    "it-services": "it",
    "it-dienstleistungen": "it",
    "software": "it",
    "technology": "it",
    "telekommunikation": "telecom",
    "telecommunications": "telecom",
    "medien": "media",
    "hotel": "hospitality",
    "hotellerie": "hospitality",
    "gastronomie": "hospitality",
    "landwirtschaft": "agriculture",
    "öffentlicher dienst": "public",
    "öffentliche verwaltung": "government",
    "public sector": "public",
    "verwaltung": "government",
    "bildung": "education",
    "dienstleistungen": "services",
    "professional services": "services",
    "beratung": "services",
    "consulting": "services",
    "immobilien": "real-estate",
    "real estate": "real-estate",
}


def industry_key(value: str | None) -> str | None:
    """The vocabulary industry ``value`` names (as given or a synonym), else None."""
    if not value:
        return None
    key = " ".join(value.strip().lower().split())
    if key in KNOWN_INDUSTRIES:
        return key
    return INDUSTRY_SYNONYMS.get(key)


_WORDS: dict[str, str] = {
    "asap": "immediate",
    "now": "immediate",
    "immediately": "immediate",
    "urgent": "immediate",
    "sofort": "immediate",
    "dringend": "immediate",
    "umgehend": "immediate",
    "so bald wie möglich": "immediate",
    "unknown": "unknown",
    "unsure": "unknown",
    "not sure": "unknown",
    "n/a": "unknown",
    "tbd": "unknown",
    "offen": "unknown",
    "unklar": "unknown",
    "unbekannt": "unknown",
    "keine angabe": "unknown",
    "next quarter": "3_months",
    "nächstes quartal": "3_months",
    "this year": "12_months",
    "dieses jahr": "12_months",
}

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "january", "januar", "jänner"),
        ("feb", "february", "februar"),
        ("mar", "march", "mär", "märz", "maerz"),
        ("apr", "april"),
        ("may", "mai"),
        ("jun", "june", "juni"),
        ("jul", "july", "juli"),
        ("aug", "august"),
        ("sep", "sept", "september"),
        ("oct", "october", "okt", "oktober"),
        ("nov", "november"),
        ("dec", "december", "dez", "dezember"),
    ),
    1,
):
    for _name in _names:
        _MONTHS[_name] = _number

_YEAR = r"(20\d{2}|\d{2})"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^q\s*([1-4])\s*[/\-.]?\s*{_YEAR}$"), "quarter"),
    (re.compile(rf"^{_YEAR}\s*[/\-.]?\s*q\s*([1-4])$"), "year_quarter"),
    (re.compile(rf"^([1-4])\s*\.?\s*(?:quartal|quarter)\s*{_YEAR}$"), "quarter"),
    (re.compile(rf"^h\s*([12])\s*[/\-.]?\s*{_YEAR}$"), "half"),
    (re.compile(rf"^([12])\s*\.?\s*(?:halbjahr|half)\s*{_YEAR}$"), "half"),
    (re.compile(r"^(20\d{2})-(\d{1,2})(?:-(\d{1,2}))?$"), "iso"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(20\d{2})$"), "german_date"),
    (re.compile(r"^(\d{1,2})\s*[/.]\s*(20\d{2})$"), "month_year"),
    (re.compile(r"^([a-zäé]+)\.?\s+(20\d{2})$"), "named_month"),
    (re.compile(r"^(?:in\s+|im\s+jahr\s+)?(20\d{2})$"), "year"),
)
_RELATIVE = re.compile(
    r"^(?:in|within|innerhalb(?: von)?|binnen|next|nächste[n]?|in den nächsten)?\s*"
    r"(\d{1,2})\s*(months?|monate?n?|mo|weeks?|wochen?|years?|jahre?n?)$"
)


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _start(text: str) -> date | None:
    """The first day of the period ``text`` names, if it names a calendar period."""
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groups()
        try:
            if kind == "quarter":
                return date(_year(groups[1]), 3 * int(groups[0]) - 2, 1)
            if kind == "year_quarter":
                return date(_year(groups[0]), 3 * int(groups[1]) - 2, 1)
            if kind == "half":
                return date(_year(groups[1]), 6 * int(groups[0]) - 5, 1)
            if kind == "iso":
                return date(int(groups[0]), int(groups[1]), int(groups[2] or 1))
            if kind == "german_date":
                return date(int(groups[2]), int(groups[1]), int(groups[0]))
            if kind == "month_year":
                return date(int(groups[1]), int(groups[0]), 1)
            if kind == "named_month":
                month = _MONTHS.get(groups[0])
                return date(int(groups[1]), month, 1) if month else None
            if kind == "year":
                return date(int(groups[0]), 1, 1)
        except ValueError:
            return None
    return None


def _band(months: float) -> str:
    if months < 1:
        return "immediate"
    if months <= 3:
        return "3_months"
    if months <= 6:
        return "6_months"
    if months <= 12:
        return "12_months"
    return "later"


def timeline_band(value: str | None, received: date) -> str:
    """The teaser's timeline for ``value``: a vocabulary word, or the band of its start."""
    if not value:
        return "unknown"
    text = " ".join(value.strip().lower().split())
    if text in TIMELINES:
        return text
    if text in _WORDS:
        return _WORDS[text]
    start = _start(text)
    if start is not None:
        months = (start.year - received.year) * 12 + (start.month - received.month)
        months += (start.day - received.day) / 31
        return _band(months)
    relative = _RELATIVE.match(text)
    if relative is not None:
        amount, unit = int(relative.group(1)), relative.group(2)
        if unit.startswith(("w", "W")):
            return _band(amount / 4.35)
        if unit.startswith(("y", "j")):
            return _band(amount * 12)
        return _band(amount)
    return "unknown"
