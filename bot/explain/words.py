"""The words of an explanation in the reader's language: filter reasons, numbers, lists.

Matching stays pure and speaks English in ``Check.detail`` (``--json``, logs); each check
also carries a ``key`` and ``params`` (see :mod:`bot.matching.filters`), which are said
here from the i18n catalogs (``explain.check.<key>``). Numbers are formatted by Babel
for the language (``0,75`` in German), so columns of numbers keep their width.

Identifiers from the directory and the configuration — partner ids, tiers, segments,
certification levels, territories, product ids — stay as written: they are what staff
type and find in the CSV files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from babel.numbers import (
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)

from bot.directory.pause_causes import cause_words
from bot.i18n import has, normalise, t
from bot.matching.filters import km_digits
from bot.matching.model import Check
from bot.reports.format import day


@cache
def _symbols(language: str) -> dict[int, str]:
    """Python's ``,`` ``.`` ``-`` as the language writes them (Babel / CLDR), for
    :meth:`str.translate`."""
    locale = normalise(language)
    return str.maketrans(
        {
            ",": get_group_symbol(locale),
            ".": get_decimal_symbol(locale),
            "-": get_minus_sign_symbol(locale),
        }
    )


def decimal(value: float, language: str, digits: int = 2) -> str:
    """``0.75`` / ``0,75``: a fixed number of decimals, grouped thousands.

    The same text as Babel's ``format_decimal(value, format="#,##0.00")`` (the value's
    ``str`` as a ``Decimal``, rounded half to even), written with Python's own formatting
    and the locale's symbols: an explanation of a lead offered to 1,000 partners formats
    7,000 numbers, and Babel parsed the pattern and looked up the locale for each one —
    more than half the time of the whole answer.
    """
    if not math.isfinite(value):
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=normalise(language))
    return f"{Decimal(str(value)):,.{digits}f}".translate(_symbols(language))


def number(value: float, language: str) -> str:
    """A weight or count as short as it goes (``0.3``, ``1``; ``0,3`` in German)."""
    return format_decimal(value, locale=normalise(language))


def listing(values: Collection[str], language: str, limit: int = 5) -> str:
    """``P2, P3`` — or the first ``limit`` and "and 3 more"."""
    items = sorted(values)
    shown = ", ".join(items[:limit])
    if len(items) <= limit:
        return shown
    return t(language, "explain.and_more", shown=shown, count=len(items) - limit)


def filter_name(name: str, language: str) -> str:
    key = f"explain.filter.{name}"
    return t(language, key) if has(language, key) else name


def _blind(params: Mapping[str, Any], language: str) -> str:
    return " " + t(language, "explain.note.blind") if params.get("blind") else ""


def segment_basis(data: Mapping[str, Any], language: str) -> str:
    """What a lead's segment rests on: ``120 employees``, ``industry government``."""
    basis, value = data.get("basis"), data.get("value")
    if basis == "industry":
        return t(language, "explain.basis.industry", industry=value)
    if basis == "employees" and isinstance(value, int):
        return t(language, "explain.basis.employees", count=value, n=number(value, language))
    if basis == "small" and isinstance(value, int):
        minimum = data.get("sme_minimum")
        return t(
            language, "explain.basis.small", count=value, n=number(value, language), minimum=minimum
        )
    return t(language, "explain.basis.unknown")


def _distance(p: Mapping[str, Any], lang: str) -> str:
    d, r = float(p["distance"]), float(p["radius"])
    key = "explain.check.within" if d <= r else "explain.check.beyond"
    return t(
        lang,
        key,
        distance=decimal(d, lang, km_digits(d, r)),
        radius=decimal(r, lang, km_digits(r, d)),
    )


def _outside(p: Mapping[str, Any], lang: str) -> str:
    where = p.get("region") or t(lang, "explain.unknown_country")
    if p.get("postal_area"):
        where = t(lang, "explain.where_postal", where=where, area=p["postal_area"])
    text = t(
        lang,
        "explain.check.outside",
        where=where,
        territories=listing(p.get("territories") or (), lang, 8),
    )
    return text + _blind(p, lang)


def _away(key: str, p: Mapping[str, Any], lang: str) -> str:
    text = t(lang, f"explain.check.{key}")
    if p.get("until"):
        text = t(lang, f"explain.check.{key}_until", until=day(p["until"], lang))
    reason = p.get("reason")
    cause = p.get("cause")
    if isinstance(cause, Mapping):  # a pause nobody explained: its words in this language
        reason = cause_words(cause, lang) or reason
    return text + (f" ({reason})" if reason else "")


def _note(note: Mapping[str, Any], lang: str) -> str:
    key = f"explain.note.{note.get('key')}"
    params = {k: v for k, v in note.items() if k != "key"}
    return t(lang, key, **params) if has(lang, key) else str(note.get("key"))


def _products(p: Mapping[str, Any], lang: str) -> str:
    parts = []
    for item in p.get("items") or ():
        notes = ", ".join(_note(n, lang) for n in item.get("notes") or ())
        parts.append(f"{item.get('product')}: {notes}")
    return "; ".join(parts)


def _segment(key: str, p: Mapping[str, Any], lang: str) -> str:
    segment = p.get("segment") or t(lang, "explain.none")
    served = listing(p.get("served") or (), lang)
    return t(
        lang, f"explain.check.{key}", segment=segment, basis=segment_basis(p, lang), served=served
    )


def _excluded(p: Mapping[str, Any], lang: str) -> str:
    reason = p.get("reason")
    key = f"explain.exclusion.{reason}"
    if reason and has(lang, key):
        return t(lang, key)
    if reason:
        return t(lang, "explain.exclusion.other", reason=reason)
    return t(lang, "explain.exclusion.any")


def _consent_partners(p: Mapping[str, Any], lang: str) -> str:
    return t(lang, "explain.check.consent_partners", partners=listing(p["partners"], lang))


def _consent_tiers(p: Mapping[str, Any], lang: str) -> str:
    return t(lang, "explain.check.consent_tiers", tiers=listing(p["tiers"], lang), tier=p["tier"])


def _territory(p: Mapping[str, Any], lang: str) -> str:
    territories = ", ".join(p["territories"])
    return t(lang, "explain.check.territory", territories=territories) + _blind(p, lang)


def _home_country(p: Mapping[str, Any], lang: str) -> str:
    country = p.get("country") or t(lang, "explain.unknown")
    text = t(lang, "explain.check.home_country", home=p["home"], country=country)
    return text + _blind(p, lang)


def _capacity(key: str) -> Callable[[Mapping[str, Any], str], str]:
    def say(p: Mapping[str, Any], lang: str) -> str:
        return t(lang, key, open=number(p["open"], lang), max=number(p["max"], lang))

    return say


def _segment_as(key: str) -> Callable[[Mapping[str, Any], str], str]:
    return lambda p, lang: _segment(key, p, lang)


def _away_as(key: str) -> Callable[[Mapping[str, Any], str], str]:
    return lambda p, lang: _away(key, p, lang)


_SPECIAL: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "consent_partners": _consent_partners,
    "consent_tiers": _consent_tiers,
    "on_leave": _away_as("on_leave"),
    "paused": _away_as("paused"),
    "distance": _distance,
    "territory": _territory,
    "outside": _outside,
    "home_country": _home_country,
    "product_list": _products,
    "segment_unknown": _segment_as("segment_unknown"),
    "segment": _segment_as("segment"),
    "segment_other": _segment_as("segment_other"),
    "capacity": _capacity("explain.check.capacity"),
    "at_capacity": _capacity("explain.check.at_capacity"),
    "excluded": _excluded,
}


def check_text(check: Check, language: str) -> str:
    """The reason of one filter's verdict, in ``language`` (English ``detail`` as fallback)."""
    try:
        special = _SPECIAL.get(check.key)
        if special is not None:
            return special(check.params, language)
        key = f"explain.check.{check.key}"
        if check.key and has(language, key):
            return t(language, key)
    except (KeyError, TypeError, ValueError):
        pass  # params that do not fit the words: say it in English rather than not at all
    return check.detail
