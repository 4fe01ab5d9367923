"""Rebuild ``bot/geo/data/postal_codes.csv`` from a GeoNames postal-code dump.

Run by hand when the data should be refreshed, never at run time::

    python -m bot.geo.build_data allCountries.txt > bot/geo/data/postal_codes.csv

The input is GeoNames' tab-separated postal-code export (``allCountries.txt`` or the
per-country ``DE.txt``/``AT.txt``/``CH.txt``; © GeoNames, CC BY 4.0). Only DE, AT and CH are
kept. Each output row is one postal code with its ISO 3166-2 subdivision and the mean
position of the places GeoNames lists for it. ``bot/geo/data/README.md`` explains the
decisions taken here (codes that straddle a border, known GeoNames mislabels).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

COUNTRIES = ("DE", "AT", "CH")

# Postal codes whose state the place-count majority gets wrong: a big city district shares
# the code with a few suburban villages across the border. Decided by hand; see README.
OVERRIDES: dict[tuple[str, str], str] = {
    ("AT", "1140"): "AT-9",  # Wien-Penzing; Mauerbach and Purkersdorf (NÖ) share it
    ("AT", "1210"): "AT-9",  # Wien-Floridsdorf; Langenzersdorf (NÖ) shares it
    ("CH", "6010"): "CH-LU",  # Kriens (LU); Pilatus Kulm (OW) shares it
}


def iso_region(country: str, admin1: str, place: str) -> str | None:
    """GeoNames admin1 code -> ISO 3166-2 code (``BY`` -> ``DE-BY``, ``09`` -> ``AT-9``)."""
    if country == "DE" and place.startswith("Hamburg"):
        # GeoNames files some Hamburg districts (Bergedorf, Billstedt, ...) under the
        # neighbouring Schleswig-Holstein Kreis; the place name is reliable.
        return "DE-HH"
    if not admin1:
        return None  # e.g. Jungholz (87491): Austrian land with a German postal code
    if country == "AT":
        return f"AT-{int(admin1)}"
    return f"{country}-{admin1}"


@dataclass
class Code:
    regions: Counter[str] = field(default_factory=Counter)
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)


def read(lines: Iterable[str]) -> dict[tuple[str, str], Code]:
    codes: dict[tuple[str, str], Code] = defaultdict(Code)
    for line in lines:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 11 or parts[0] not in COUNTRIES:
            continue
        country, postal, place, admin1 = parts[0], parts[1], parts[2], parts[4]
        code = codes[(country, postal)]
        region = iso_region(country, admin1, place)
        if region:
            code.regions[region] += 1
        code.lats.append(float(parts[9]))
        code.lons.append(float(parts[10]))
    return codes


def _majority(counter: Counter[str]) -> str | None:
    """The most common value, or None when the top two are tied."""
    top = counter.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def decide_regions(codes: dict[tuple[str, str], Code]) -> dict[tuple[str, str], str | None]:
    """One state per postal code: override, else most places, else the area's majority."""
    decided: dict[tuple[str, str], str | None] = {}
    for key, code in codes.items():
        decided[key] = OVERRIDES.get(key) or _majority(code.regions)
    for digits in (3, 2):  # ties: the state holding most of the surrounding postal area
        areas: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for (country, postal), region in decided.items():
            if region:
                areas[(country, postal[:digits])][region] += 1
        for key, code in codes.items():
            if decided[key] is None and code.regions:
                area = areas[(key[0], key[1][:digits])]
                tied = {r for r, n in code.regions.items() if n == max(code.regions.values())}
                best = [r for r, _ in area.most_common() if r in tied]
                decided[key] = best[0] if best else None
    for key, code in codes.items():  # still undecided: alphabetical, so builds are stable
        if decided[key] is None and code.regions:
            decided[key] = sorted(code.regions)[0]
    return decided


def rows(codes: dict[tuple[str, str], Code]) -> Iterator[tuple[str, str, str, str, str]]:
    regions = decide_regions(codes)
    for (country, postal), code in sorted(codes.items()):
        lat = sum(code.lats) / len(code.lats)
        lon = sum(code.lons) / len(code.lons)
        yield country, postal, regions[(country, postal)] or "", f"{lat:.3f}", f"{lon:.3f}"


def main(argv: list[str], out: TextIO) -> int:
    if len(argv) != 1:
        print("usage: python -m bot.geo.build_data GEONAMES_POSTAL_FILE > postal_codes.csv")
        return 2
    with open(argv[0], encoding="utf-8") as source:
        codes = read(source)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("country", "postal_code", "region", "lat", "lon"))
    writer.writerows(rows(codes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdout))
