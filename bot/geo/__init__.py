"""Offline geography: postal code -> state, postal area and approximate coordinates.

Nothing is downloaded at run time: the lookup table ``data/postal_codes.csv`` ships with
the code (derived from GeoNames, CC BY 4.0; ``data/README.md`` gives source, licence and
the approximations). It covers Germany, Austria and Switzerland. For other countries, or
codes the table does not know, :func:`locate` still returns the two-digit postal area and
leaves the rest unknown — callers must cope with ``None``.

Why coordinates of a postal code and not of the address: leads arrive with an address but
rarely with coordinates, and the matching engine needs a position only to compare it with
a partner's service radius. A postal-code centroid is good to a few kilometres in towns
and a few tens of kilometres in the largest rural codes — enough for radii of 50 km and up.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

__all__ = [
    "COUNTRIES",
    "Place",
    "distance_km",
    "locate",
    "normalise_postal_code",
    "postal_area",
    "preload",
]

COUNTRIES = frozenset({"DE", "AT", "CH"})  # countries the shipped table covers
_DIGITS = {"DE": 5, "AT": 4, "CH": 4}
_PREFIX = re.compile(r"^(?:[A-Z]{1,3})[- ]")  # "D-80331", "A-1010", "CH-8001"
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

Precision = Literal["postal_code", "postal_area"]


@dataclass(frozen=True, slots=True)
class Place:
    region: str | None = None  # ISO 3166-2 subdivision, e.g. "DE-BY"
    postal_area: str | None = None  # the first two digits of the postal code
    lat: float | None = None
    lon: float | None = None
    # Where region and coordinates came from: the exact postal code, or (for a code the
    # table does not know) the 3-digit postal area around it. None: nothing was found.
    precision: Precision | None = None


def normalise_postal_code(country: str | None, postal_code: str | None) -> str | None:
    """The postal code as the post office writes it, or the input stripped if unsure.

    Drops spaces and a country prefix (``D-80331``), and restores the leading zero that
    spreadsheets strip from German codes (``1067`` -> ``01067``, Dresden).
    """
    if not postal_code:
        return None
    code = postal_code.strip().upper()
    country = (country or "").strip().upper()
    if country in _DIGITS:
        code = _PREFIX.sub("", code).replace(" ", "")
        if country == "DE" and len(code) == 4 and code.isdigit():
            code = "0" + code
    return code or None


def postal_area(postal_code: str | None) -> str | None:
    """The first two digits (German "Leitregion"), the coarsest postal unit we show."""
    if not postal_code:
        return None
    digits = postal_code.strip()
    return digits[:2] if len(digits) >= 2 and digits[:2].isdigit() else None


@dataclass(frozen=True, slots=True)
class _Entry:
    region: str | None
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class _Table:
    codes: dict[tuple[str, str], _Entry]
    areas: dict[tuple[str, str], _Entry]  # 3-digit prefix -> majority state, mean position


@cache
def _table() -> _Table:
    codes: dict[tuple[str, str], _Entry] = {}
    source = resources.files("bot.geo").joinpath("data/postal_codes.csv")
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            codes[(row["country"], row["postal_code"])] = _Entry(
                row["region"] or None, float(row["lat"]), float(row["lon"])
            )
    grouped: dict[tuple[str, str], list[_Entry]] = {}
    for (country, code), entry in codes.items():
        grouped.setdefault((country, code[:3]), []).append(entry)
    areas: dict[tuple[str, str], _Entry] = {}
    for key, entries in grouped.items():
        counts: dict[str, int] = {}
        for entry in entries:
            if entry.region:
                counts[entry.region] = counts.get(entry.region, 0) + 1
        # Ties between states: the alphabetically first, so the answer is stable.
        region = min(counts, key=lambda r: (-counts[r], r)) if counts else None
        lat = round(sum(e.lat for e in entries) / len(entries), 3)
        lon = round(sum(e.lon for e in entries) / len(entries), 3)
        areas[key] = _Entry(region, lat, lon)
    return _Table(codes, areas)


def preload() -> None:
    """Read the postal-code table now (about 50 ms) rather than in the first lead's request."""
    _table()


def locate(country: str | None, postal_code: str | None) -> Place:
    """State, postal area and approximate position of a postal code (offline).

    An exact postal code gives its own state and centroid. A code the table does not know
    (new, mistyped, or only the first digits) falls back to its 3-digit postal area: the
    state most of that area's codes belong to, and the mean of their positions.
    """
    country = (country or "").strip().upper() or None
    code = normalise_postal_code(country, postal_code)
    area = postal_area(code)
    if country not in _DIGITS or not code or not code.isdigit():
        return Place(postal_area=area)
    table = _table()
    entry = table.codes.get((country, code))
    if entry is not None and len(code) == _DIGITS[country]:
        return Place(entry.region, area, entry.lat, entry.lon, "postal_code")
    entry = table.areas.get((country, code[:3])) if len(code) >= 3 else None
    if entry is not None:
        return Place(entry.region, area, entry.lat, entry.lon, "postal_area")
    return Place(postal_area=area)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat = p2 - p1
    dlon = math.radians(lon2 - lon1)
    h = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
