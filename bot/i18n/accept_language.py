"""The reader's language from the browser's ``Accept-Language`` header (RFC 9110 §12.5.4).

Pure: a header's value in, one of the languages we have texts for out — or ``None`` when
the header names none of them, so the caller falls back to its own default. A region
counts as its language (``de-AT`` is German, ``en-US`` English); ``*`` stands for every
language the header does not name itself; ``q=0`` means "not acceptable". The highest
quality wins, then the range listed first. A malformed element (``de;q=2``, ``d e``,
``de;level=1``) is skipped, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.i18n import LANGUAGES

# language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"  (RFC 4647 §2.1)
_RANGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*")
# weight = OWS ";" OWS "q=" qvalue;  qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")])
_WEIGHT = re.compile(r"[qQ]=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")
_OWS = " \t"


def _ranges(header: str) -> Iterator[tuple[str, float]]:
    """Each well-formed element as (its primary subtag in lower case or ``*``, its q)."""
    for element in header.split(","):
        name, *params = (part.strip(_OWS) for part in element.split(";"))
        if not name and not params:
            continue  # an empty list element: allowed
        if not _RANGE.fullmatch(name) or len(params) > 1:
            continue
        quality = 1.0
        if params:
            weight = _WEIGHT.fullmatch(params[0])
            if weight is None:
                continue
            quality = float(weight.group(1))
        yield name.split("-", 1)[0].lower(), quality


def best_language(
    header: str | None, *, prefer: str | None = None, supported: Sequence[str] = LANGUAGES
) -> str | None:
    """The language of ``supported`` that ``header`` (an ``Accept-Language`` value) ranks
    highest, or ``None`` if it accepts none of them (or names none, or is empty).

    Of equal quality, the one listed first wins; ``prefer`` (the configured language)
    settles a tie only ``*`` made — ``*`` alone gives ``prefer``.

    >>> best_language("de-DE,de;q=0.9,en;q=0.8")
    'de'
    >>> best_language("fr, en;q=0.2, de;q=0")
    'en'
    >>> best_language("fr-CH, fr;q=0.9") is None
    True
    """
    if not header:
        return None
    named: dict[str, tuple[float, int]] = {}  # language -> (best q, where it was listed)
    anything: tuple[float, int] | None = None  # the same for "*"
    for position, (primary, quality) in enumerate(_ranges(header)):
        if primary == "*":
            if anything is None or quality > anything[0]:
                anything = (quality, position)
        elif primary in supported:
            known = named.get(primary)
            if known is None or quality > known[0]:
                named[primary] = (quality, position)
    ranked: list[tuple[float, int, bool, int, str]] = []
    for order, language in enumerate(supported):
        quality, position = named.get(language) or anything or (0.0, 0)
        if quality > 0:
            ranked.append((-quality, position, language != prefer, order, language))
    return min(ranked)[-1] if ranked else None
