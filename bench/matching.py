"""Benchmark: rank 10,000 and 100,000 synthetic partners for one lead.

Run by hand (never part of the test suite)::

    python bench/matching.py [--sizes 10000,100000] [--repeat 30] [--seed 7]

Partners are spread over real DE/AT/CH postal codes (positions from ``bot/geo``), with a
mix of service radii and territories, tiers, certifications, stock, segments, load and
pauses, so the filters remove a realistic share. Leads sit in München, Berlin, Wien and
Zürich. Reported per directory size:

* ``index``        building the :class:`PartnerIndex` once (per directory snapshot)
* ``rank p50/p95`` ``rank()`` against the prebuilt index plus the first waves
                   (``ranking.top(6)``): what ``distribution.decide`` needs per lead
* ``cold rank``    ``rank()`` from a plain list of profiles (builds the index each time)
* ``explain 1``    every filter and component, as text, for one partner
* ``eligible``     mean eligible partners per lead
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.geo import locate
from bot.matching import LeadProfile, PartnerIndex, PartnerProfile, explain, rank

SETTINGS = Settings.model_validate(
    {
        "products": [
            {"id": "X200", "line": "X-series", "min_certification": "basic"},
            {"id": "X500", "line": "X-series", "min_certification": "advanced"},
            {"id": "C10", "line": "Cloud", "min_certification": "basic"},
            {"id": "S3", "line": "Security", "min_certification": "advanced"},
        ]
    }
)
TIERS = ["platinum", "gold", "silver", "registered"]
LEVELS = ["basic", "advanced", "expert"]
LEADS = [("DE", "80331"), ("DE", "10115"), ("AT", "1010"), ("CH", "8001")]


def postal_codes() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"DE": [], "AT": [], "CH": []}
    source = resources.files("bot.geo").joinpath("data/postal_codes.csv")
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out[row["country"]].append(row["postal_code"])
    return out


def synthetic_partners(n: int, rng: random.Random) -> list[PartnerProfile]:
    codes = postal_codes()
    partners = []
    for i in range(n):
        country = rng.choices(["DE", "AT", "CH"], weights=[80, 10, 10])[0]
        code = rng.choice(codes[country])
        place = locate(country, code)
        style = rng.random()
        radius = rng.choice([30, 50, 80, 100, 150, 250]) if style < 0.6 else None
        if style < 0.6:
            regions: tuple[str, ...] = ()
        elif style < 0.75:
            regions = (place.region or country,)
        elif style < 0.9:
            other = rng.choice(codes[country])
            regions = tuple(sorted({f"{country}:{code[:2]}", f"{country}:{other[:2]}"}))
        elif style < 0.97:
            regions = (country,)
        else:
            regions = ()  # own country
        certs = {
            line: rng.choice(LEVELS)
            for line in ("X-series", "Cloud", "Security")
            if rng.random() < 0.6
        }
        max_open = rng.randint(3, 20)
        closed = rng.randint(0, 40)
        partners.append(
            PartnerProfile(
                id=f"P{i:06d}",
                name=f"Partner {i}",
                tier=rng.choice(TIERS),
                certifications=certs,
                country=country,
                postal_code=code,
                lat=place.lat,
                lon=place.lon,
                service_radius_km=radius,
                regions=regions,
                segments=tuple(s for s in ("sme", "enterprise", "public") if rng.random() < 0.6),
                products=tuple(p for p in ("X200", "X500", "C10", "S3") if rng.random() < 0.5),
                max_open_leads=max_open,
                open_leads=max_open if rng.random() < 0.1 else rng.randint(0, max_open - 1),
                active=rng.random() < 0.97,
                on_leave=rng.random() < 0.02,
                paused=rng.random() < 0.02,
                won=rng.randint(0, closed),
                closed=closed,
            )
        )
    return partners


def leads() -> list[LeadProfile]:
    out = []
    for i, (country, code) in enumerate(LEADS, start=1):
        place = locate(country, code)
        out.append(
            LeadProfile(
                lead_id=i,
                country=country,
                region=place.region,
                postal_code=code,
                lat=place.lat,
                lon=place.lon,
                products=("X200",),
                employees=120,
                industry="manufacturing",
                consent_partner_contact=True,
                postal_area=place.postal_area,
            )
        )
    return out


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call."""
    gc.collect()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(n: int, seed: int, repeat: int) -> tuple[str, ...]:
    partners = synthetic_partners(n, random.Random(seed))
    the_leads = leads()
    build = timed(lambda: PartnerIndex.build(partners, SETTINGS), 3)
    index = PartnerIndex.build(partners, SETTINGS)
    samples: list[float] = []
    eligible = []
    for lead in the_leads:
        rank(lead, index, frozenset(), SETTINGS).top(6)  # warm-up
        samples += timed(lambda lead=lead: rank(lead, index, (), SETTINGS).top(6), repeat)
        eligible.append(len(rank(lead, index, frozenset(), SETTINGS)))
    cold = timed(lambda: rank(the_leads[0], partners, frozenset(), SETTINGS), 3)
    one = partners[len(partners) // 2]
    explain_ms = timed(lambda: explain(the_leads[0], one, frozenset(), SETTINGS), 200)
    return (
        f"{n:,}",
        f"{statistics.median(build):.0f} ms",
        f"{statistics.median(samples):.1f} ms",
        f"{p95(samples):.1f} ms",
        f"{statistics.median(cold):.0f} ms",
        f"{statistics.median(explain_ms) * 1000:.0f} µs",
        f"{statistics.mean(eligible):,.0f}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=30, help="rank() calls per lead")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = [measure(int(n), args.seed, args.repeat) for n in args.sizes.split(",")]
    header = ("partners", "index", "rank p50", "rank p95", "cold rank", "explain 1", "eligible")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
    print(f"matching benchmark: {len(LEADS)} leads x {args.repeat} runs per size")
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
