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
from dataclasses import dataclass
from urllib.parse import urlsplit

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


def _host(link: str | None) -> str:
    if not link:
        return ""
    try:
        return (urlsplit(link.strip()).hostname or "").lower()
    except ValueError:
        return ""


@dataclass(frozen=True)
class Article:
    """A news item prepared for matching (normalise once, match against many leads)."""

    raw: str  # title and summary as plain text
    words: str  # " a b c " — tokens joined, padded for whole-phrase search
    host: str  # the link's host name

    @classmethod
    def of(cls, title: str, summary: str | None, link: str | None) -> Article:
        raw = f"{title}\n{summary or ''}"
        return cls(raw, " " + " ".join(tokens(raw)) + " ", _host(link))


class CompanyMatcher:
    """Decides for one lead's company whether an article is about it, and by what."""

    def __init__(self, name: str | None, domain: str | None, ticker: str | None) -> None:
        core = name_core(name or "")
        self.phrase = " " + " ".join(core) + " " if distinctive(core) else None
        self.domain = (domain or "").strip().lower().removeprefix("www.") or None
        self._domain_re = (
            re.compile(
                rf"(?<![a-z0-9.\-])(?:[a-z0-9\-]+\.)*{re.escape(self.domain)}(?![a-z0-9\-]|\.[a-z0-9])",
                re.IGNORECASE,
            )
            if self.domain
            else None
        )
        self._ticker_re = _ticker_pattern(ticker) if ticker else None

    @property
    def usable(self) -> bool:
        return bool(self.phrase or self._domain_re or self._ticker_re)

    def match(self, article: Article) -> str | None:
        """``"domain"``, ``"ticker"`` or ``"name"`` when the article is about the company."""
        if self.domain and (
            article.host == self.domain or article.host.endswith("." + self.domain)
        ):
            return "domain"
        if self._domain_re is not None and self._domain_re.search(article.raw):
            return "domain"
        if self._ticker_re is not None and self._ticker_re.search(article.raw):
            return "ticker"
        if self.phrase is not None and self.phrase in article.words:
            return "name"
        return None


def _ticker_pattern(ticker: str) -> re.Pattern[str] | None:
    ticker = ticker.strip().upper()
    base = ticker.split(".")[0]
    if not base or not re.fullmatch(r"[A-Z0-9][A-Z0-9\-]*", base):
        return None
    b = re.escape(base)
    end = r"(?![A-Za-z0-9])"
    exch = rf"(?i:{EXCHANGES})"
    forms = [
        rf"(?<![A-Za-z0-9])\${b}{end}",  # $SIE
        rf"\(\s*(?:{exch}\s*:\s*)?{b}(?:\.[A-Z]{{1,3}})?\s*\)",  # (SIE) (XETRA: SIE) (SIE.DE)
        rf"(?<![A-Za-z0-9]){exch}\s*:\s*{b}{end}",  # XETRA: SIE
        rf"(?<![A-Za-z0-9]){b}\.[A-Z]{{1,3}}{end}",  # SIE.DE
    ]
    if ticker != base:
        forms.append(rf"(?<![A-Za-z0-9]){re.escape(ticker)}{end}")
    return re.compile("|".join(forms))
