"""Is this news item about this company? Pure: no database, no I/O.

A wrong match sends a rep news about some other company, so matching errs on the side of
silence. A news item matches a lead's company when

* the company's **domain** appears in the text as a whole name (``huber-bau.de``,
  ``www.huber-bau.de/presse``) or the item's link is on that domain (its own newsroom);
* its **ticker** appears in a form only tickers take: ``$SIE``, ``(SIE)``,
  ``(XETRA: SIE)``, ``XETRA: SIE``, ``SIE.DE`` (case-sensitive: "Sie" is a German word);
* or its **name** appears as a whole phrase — but only a *distinctive* name: after
  normalising (case, umlauts, accents, punctuation) and removing legal forms (GmbH, AG,
  SE, KG, Co., Inc., ...), it must have at least two words, and not consist only of
  generic business words (Bau, Technik, Brauerei, Gruppe, ...) and at most one common
  surname. "Müller GmbH", "Bau AG" or "Autohaus Schmidt" never match by name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlsplit

K = TypeVar("K", bound=Hashable)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEGAL_FORMS = _words(
    """
    gmbh mbh ag se kg kgaa ohg gbr ug ev eg ek co cie inc incorporated ltd limited llc llp
    plc corp corporation company sa sas sarl bv nv spa srl ab asa oy oyj haftungsbeschraenkt
    gesmbh
    """
)
CONNECTORS = frozenset({"und", "and", "u", "the", "die", "der", "das"})

GENERIC_WORDS = _words(
    """
    bau bauunternehmen hochbau tiefbau technik elektro elektrotechnik maschinenbau metallbau
    holzbau haustechnik gebaeudetechnik installation sanitaer heizung logistik spedition
    transport transporte handel handelsgesellschaft vertrieb service services dienstleistung
    dienstleistungen consulting beratung software systems systeme system solutions loesungen
    it data digital media medien gruppe group holding international deutschland germany german
    europe europa global industrie industries werk werke gesellschaft verwaltung immobilien
    versicherung bank sparkasse volksbank stadtwerke klinik klinikum praxis apotheke hotel
    restaurant verlag druckerei schreinerei tischlerei malerbetrieb dachdecker energie energy
    solar tech technology technologies engineering automation automotive chemie pharma food
    foods lebensmittel agrar garten landschaftsbau reinigung gebaeudereinigung sicherheit
    security personal partner partners soehne sohn brueder gebrueder familie brauerei baeckerei
    metzgerei autohaus moebel bueromoebel fenster tueren stahl kunststoff kunststofftechnik
    produktion manufacturing networks network management marketing elektronik electronics
    medizintechnik feinmechanik werkzeugbau anlagenbau steuerungstechnik antriebstechnik
    umwelttechnik energietechnik fahrzeugbau nord sued ost west sud north south east
    """
)
COMMON_SURNAMES = _words(
    """
    mueller schmidt schneider fischer weber meyer meier mayer maier wagner becker schulz
    hoffmann hofmann schaefer koch bauer richter klein wolf wolff schroeder neumann schwarz
    zimmermann braun krueger hartmann lange schmitt werner schmitz krause lehmann schmid
    schulze koehler herrmann koenig walter huber kaiser fuchs peters lang scholz moeller
    weiss jung hahn schubert vogel friedrich keller guenther frank berger winkler roth beck
    lorenz baumann franke albrecht schuster simon ludwig boehm winter kraus martin schumacher
    kraemer vogt stein jaeger otto sommer gross seidel heinrich brandt haas schreiber graf
    schulte dietrich ziegler kuhn kuehn pohl engel horn busch bergmann thomas voigt sauer
    arnold pfeiffer gruber bauer wimmer moser steiner hofer leitner berger smith jones
    johnson williams brown miller davis wilson taylor anderson
    """
)
EXCHANGES = (
    "XETRA|ETR|FWB|FRA|FSE|NYSE|NASDAQ|Nasdaq|LSE|SIX|TSX|ASX|EPA|AMS|VIE|WBAG|BIT|BME|"
    "TYO|HKEX|OTC|Euronext|TSE|SWX"
)


def normalise(text: str) -> str:
    """Lower case, umlauts spelled out (ä→ae, ß→ss), other accents dropped."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def _fold(token: str) -> str:
    # "Müller", "Mueller" and "Muller" (English press) are the same name.
    return token.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def tokens(text: str) -> list[str]:
    """Comparable words: punctuation dropped, runs of single letters joined (e.V. → ev)."""
    out: list[str] = []
    run = ""
    for word in re.findall(r"[a-z0-9]+", normalise(text)):
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            out.append(_fold(run))
            run = ""
        out.append(_fold(word))
    if run:
        out.append(_fold(run))
    return out


_LEGAL = frozenset(_fold(w) for w in LEGAL_FORMS)
_CONNECT = frozenset(_fold(w) for w in CONNECTORS)
_GENERIC = frozenset(_fold(w) for w in GENERIC_WORDS)
_SURNAMES = frozenset(_fold(w) for w in COMMON_SURNAMES)


def name_core(name: str) -> tuple[str, ...]:
    """The words of a company name without legal forms and leading/trailing connectors."""
    words = tokens(name)
    while words and (words[-1] in _LEGAL or words[-1] in _CONNECT):
        words.pop()
    while words and words[0] in _CONNECT:
        words.pop(0)
    return tuple(words)


def distinctive(core: tuple[str, ...]) -> bool:
    """Enough to identify a company on its own in a news text (see module docstring)."""
    if len(core) < 2:
        return False
    specific = [w for w in core if w not in _GENERIC and w not in _SURNAMES and len(w) > 1]
    surnames = [w for w in core if w in _SURNAMES]
    return bool(specific) or len(surnames) >= 2


SUFFIXES = "DE|F|BE|DU|HM|HA|MU|SG|L|PA|AS|BR|SW|VX|VI|MI|MC|LS|TO|AX|HK|T|ST|CO|OL|HE|IR|WA|PR"
_SYMBOL = r"([A-Z0-9][A-Z0-9\-]*)"
_NOT_ALNUM_BEFORE, _NOT_ALNUM_AFTER = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
_EXCH = rf"(?i:{EXCHANGES})"
_TICKER_FORMS = re.compile(
    "|".join(
        [
            rf"{_NOT_ALNUM_BEFORE}\${_SYMBOL}{_NOT_ALNUM_AFTER}",  # $SIE
            rf"\(\s*(?:{_EXCH}\s*:\s*)?{_SYMBOL}(?:\.(?:{SUFFIXES}))?\s*\)",  # (SIE) (XETRA: SIE)
            rf"{_NOT_ALNUM_BEFORE}{_EXCH}\s*:\s*{_SYMBOL}{_NOT_ALNUM_AFTER}",  # XETRA: SIE
            rf"{_NOT_ALNUM_BEFORE}{_SYMBOL}\.(?:{SUFFIXES}){_NOT_ALNUM_AFTER}",  # SIE.DE
        ]
    )
)
_HOST = re.compile(
    r"(?<![a-z0-9.\-])((?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,63})"
    r"(?![a-z0-9\-]|\.[a-z0-9])"
)


def _domains(host: str) -> set[str]:
    """``presse.huber.de`` -> {``presse.huber.de``, ``huber.de``}: the host and its parents."""
    labels = host.strip(".").split(".")
    return {".".join(labels[i:]) for i in range(len(labels) - 1)}


def _link_host(link: str | None) -> str:
    if not link:
        return ""
    try:
        return (urlsplit(link.strip()).hostname or "").lower()
    except ValueError:
        return ""


def ticker_symbol(ticker: str | None) -> str | None:
    """The symbol a ticker is recognised by: ``SAP.DE`` -> ``SAP``."""
    base = (ticker or "").strip().upper().split(".")[0]
    return base if re.fullmatch(r"[A-Z0-9][A-Z0-9\-]*", base) else None


@dataclass(frozen=True)
class Article:
    """A news item analysed once for matching against any number of companies.

    ``domains`` are the host names in the text and the link's host, with their parent
    domains; ``tickers`` the symbols written in a ticker form; ``words`` the normalised
    tokens, padded with spaces for whole-phrase search.
    """

    words: str
    first_words: frozenset[str]
    domains: frozenset[str]
    tickers: frozenset[str]

    @classmethod
    def of(cls, title: str, summary: str | None, link: str | None) -> Article:
        raw = f"{title}\n{summary or ''}"
        words = tokens(raw)
        domains: set[str] = set()
        for host in [*_HOST.findall(raw.lower()), _link_host(link)]:
            if host:
                domains |= _domains(host.removeprefix("www."))
        tickers = {sym for groups in _TICKER_FORMS.findall(raw) for sym in groups if sym}
        return cls(
            " " + " ".join(words) + " ", frozenset(words), frozenset(domains), frozenset(tickers)
        )


class CompanyMatcher:
    """What identifies one lead's company in news: distinctive name, domain, ticker symbol."""

    def __init__(self, name: str | None, domain: str | None, ticker: str | None) -> None:
        core = name_core(name or "")
        self.core = core if distinctive(core) else ()
        self.phrase = " " + " ".join(core) + " " if self.core else None
        self.domain = (domain or "").strip().lower().removeprefix("www.").rstrip(".") or None
        self.ticker = ticker_symbol(ticker)

    @property
    def usable(self) -> bool:
        return bool(self.phrase or self.domain or self.ticker)

    def match(self, article: Article) -> str | None:
        """``"domain"``, ``"ticker"`` or ``"name"`` when the article is about the company."""
        if self.domain and self.domain in article.domains:
            return "domain"
        if self.ticker and self.ticker in article.tickers:
            return "ticker"
        if self.phrase and self.phrase in article.words:
            return "name"
        return None


class CompanyIndex(Generic[K]):
    """Many companies, indexed so that matching an article costs about the article's length.

    Checking every article against every lead is too slow with thousands of open leads and
    hundreds of news items per pass; instead domains and tickers are looked up directly and
    a name is only compared when the article contains the name's first word.
    """

    def __init__(self, companies: Iterable[tuple[K, CompanyMatcher]]) -> None:
        self._domain: dict[str, list[K]] = defaultdict(list)
        self._ticker: dict[str, list[K]] = defaultdict(list)
        self._first: dict[str, list[tuple[str, K]]] = defaultdict(list)
        for key, matcher in companies:
            if matcher.domain:
                self._domain[matcher.domain].append(key)
            if matcher.ticker:
                self._ticker[matcher.ticker].append(key)
            if matcher.phrase:
                self._first[matcher.core[0]].append((matcher.phrase, key))

    def find(self, article: Article) -> dict[K, str]:
        """The companies the article is about, each with how it was recognised."""
        found: dict[K, str] = {}
        for domain in article.domains:
            for key in self._domain.get(domain, ()):
                found.setdefault(key, "domain")
        for symbol in article.tickers:
            for key in self._ticker.get(symbol, ()):
                found.setdefault(key, "ticker")
        for word in article.first_words:
            for phrase, key in self._first.get(word, ()):
                if phrase in article.words:
                    found.setdefault(key, "name")
        return found
