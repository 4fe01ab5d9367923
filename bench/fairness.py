"""Fairness simulation: how evenly do comparable partners get leads, fairness off vs on?

50 partners in Bavaria, equal in tier, certification and capacity, a few kilometres apart
(so scores differ a little, as in real life); 2,000 leads from Munich arrive every 20
minutes (about four weeks). Each lead runs through the real services on a fresh SQLite
database: intake and distribution, then the first partner offered claims at once and
closes the lead a day later (won or lost). We count per partner the first-wave offers
and the wins, and report the spread: max/min and the Gini coefficient (0 = perfectly even).

    .venv/bin/python bench/fairness.py [--leads 2000] [--partners 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Settings
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import claim
from bot.leads.progress import report_progress
from bot.leads.status_reports import Report, StatusAction
from bot.migrate import upgrade
from bot.models import Channel, Offer, Platform, Rep
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep, lead_payload

MUNICH = (48.137, 11.575)


def gini(values: list[int]) -> float:
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if not total:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def spread(counts: Counter[str], partners: list[str]) -> dict[str, Any]:
    values = [counts.get(p, 0) for p in partners]
    low = min(values)
    return {
        "min": low,
        "max": max(values),
        "max/min": "∞" if low == 0 else f"{max(values) / low:.1f}",
        "gini": f"{gini(values):.2f}",
        "median": statistics.median(values),
    }


async def simulate(leads: int, partners: int, fairness: float) -> tuple[Counter[str], Counter[str]]:
    folder = Path(tempfile.mkdtemp(prefix="leadbot-fairness-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "products": [{"id": "X200", "line": "X-series"}],
            "matching": {"fairness": fairness},
            "distribution": {
                "waves": [
                    {"size": 1, "minutes": 60},
                    {"size": 5, "minutes": 120},
                    {"size": 0, "minutes": 1440},
                ],
                "claim_sla_hours": 48,
            },
        }
    )
    clock = ManualClock()
    runtime = Runtime.create(settings, clock=clock)
    rng = random.Random(7)
    ids = [f"P{i:02d}" for i in range(partners)]
    async with runtime.uow() as uow:
        for pid in ids:
            lat = MUNICH[0] + rng.uniform(-0.15, 0.15)
            lon = MUNICH[1] + rng.uniform(-0.2, 0.2)
            await add_partner(
                uow, pid, lat=lat, lon=lon, service_radius_km=150, max_open_leads=10, tier="gold"
            )
            await add_rep(uow, pid, f"rep@{pid.lower()}.example")
        await uow.commit()
        reps = {r.partner_id: r.id for r in await uow.session.scalars(select(Rep))}
    offers: Counter[str] = Counter()
    wins: Counter[str] = Counter()
    to_close: deque[tuple[Any, int, int, str]] = deque()
    for n in range(leads):
        clock.advance(minutes=20)
        while to_close and to_close[0][0] <= clock.now():
            _due, lead_id, rep_id, partner_id = to_close.popleft()
            actor = Actor.rep(Channel.CONSOLE, rep_id, partner_id)
            won = rng.random() < 0.4
            report = (
                Report(StatusAction.WON, revenue_eur=Decimal(1000))
                if won
                else Report(StatusAction.LOST, reason="price")
            )
            async with runtime.uow() as uow:
                await report_progress(uow, lead_id, actor, Report(StatusAction.CONTACTED))
            async with runtime.uow() as uow:
                await report_progress(uow, lead_id, actor, report)
        payload = lead_payload(
            external_id=f"sim-{n}",
            **{"company.domain": f"firma-{n}.example", "contact.email": f"a@firma-{n}.example"},
        )
        async with runtime.uow() as uow:
            result = await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
            await uow.commit()
            first = await uow.session.scalar(
                select(Offer).where(Offer.lead_id == result.lead_id, Offer.wave == 1)
            )
        if first is None:
            continue
        offers[first.partner_id] += 1
        async with runtime.uow() as uow:
            outcome = await claim(uow, first.id, reps[first.partner_id], Platform.CONSOLE)
        if outcome.won:
            wins[first.partner_id] += 1
            due = clock.now() + timedelta(days=1)
            to_close.append((due, result.lead_id, reps[first.partner_id], first.partner_id))
    await runtime.close()
    return offers, wins


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--partners", type=int, default=50)
    args = parser.parse_args()
    ids = [f"P{i:02d}" for i in range(args.partners)]
    print(f"{args.leads} leads over {args.partners} comparable partners (first wave: one partner)")
    print(f"{'':>14} {'':>9} {'min':>5} {'max':>5} {'max/min':>8} {'gini':>6} {'median':>7}")
    for label, weight in (("score only", 0.0), ("fairness on", 1.0)):
        started = time.perf_counter()
        offers, wins = await simulate(args.leads, args.partners, weight)
        for what, counts in (("offers", offers), ("wins", wins)):
            s = spread(counts, ids)
            print(
                f"{label:>14} {what:>9} {s['min']:>5} {s['max']:>5} {s['max/min']:>8}"
                f" {s['gini']:>6} {s['median']:>7}"
            )
        print(f"{'':>14} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
