"""How fast the cockpit's overview page and ``leadbot report`` answer on a big database.

    .venv/bin/python bench/cockpit.py                     # SQLite and PostgreSQL
    .venv/bin/python bench/cockpit.py --backends sqlite --leads 20000

Generates 100,000 leads with 1,000,000 audit events (plus ~300,000 offers and some
exclusions) spread over the last 90 days, then times, each after one warm-up run:

* ``GET /cockpit`` through the real ASGI app (queries + two matplotlib SVG charts + HTML);
* the report (all queries incl. partner reliability + the text rendering), in-process;
* ``leadbot report`` as a separate process (adds ~1 s of Python start-up and imports).

The target is under one second for the first two on both databases. Run by hand (or
``make bench-cockpit``), never inside the test suite. PostgreSQL: a throw-away database on
127.0.0.1:5432 (user postgres) is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from scratch import scratch_database
from sqlalchemy import insert

from bot.actors import Actor
from bot.cockpit.links import create_login_link
from bot.config import load_settings
from bot.db import create_engine_sync
from bot.handlers.console.render import render_report
from bot.migrate import upgrade
from bot.models import Lead, LeadEvent, LeadExclusion, Offer, Partner
from bot.models.enums import Channel
from bot.reports.pipeline import pipeline
from bot.runtime import Runtime
from bot.web.api import create_app

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-0123456789abcdef"
CHUNK = 20_000


def _chunks(rows: list[dict[str, Any]]) -> Any:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def generate(url: str, leads: int, events_per_lead: int, seed: int = 7) -> None:
    """Leads in every state, their offers and events, written in bulk (Core inserts)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    partners = [f"B-{i:04d}" for i in range(200)]
    campaigns = [f"Campaign {i:02d} " + "x" * (i % 40) for i in range(50)]
    engine = create_engine_sync(url)
    lead_rows: list[dict[str, Any]] = []
    offer_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    exclusion_rows: list[dict[str, Any]] = []
    outcomes = ["unmatched", "offered", "claimed", "contacted", "proposal", "won", "lost"]
    weights = [8, 15, 12, 12, 8, 25, 20]
    # Leads arrive over time: ids grow with created_at, as in a real database.
    arrivals = sorted(rng.randrange(0, 89 * 24 * 60) for _ in range(leads))
    for lead_id in range(1, leads + 1):
        created = now - timedelta(minutes=89 * 24 * 60 - arrivals[lead_id - 1])
        status = rng.choices(outcomes, weights)[0]
        owner = rng.choice(partners)
        offered_at = created + timedelta(minutes=1)
        claimed_at = offered_at + timedelta(minutes=rng.randrange(2, 600))
        contacted_at = claimed_at + timedelta(minutes=rng.randrange(10, 3000))
        closed_at = contacted_at + timedelta(hours=rng.randrange(1, 200))
        owned = status in ("claimed", "contacted", "proposal", "won", "lost")
        lead_rows.append(
            {
                "id": lead_id,
                "status": status,
                "campaign": rng.choice(campaigns),
                "products": ["X200"],
                "consent_allowed_partners": [],
                "consent_allowed_tiers": [],
                "consent_partner_contact": True,
                "estimated_value_eur": rng.randrange(5, 500) * 1000,
                "offer_round": 0 if status == "unmatched" else 1,
                "current_wave": 1,
                "offered_at": None if status == "unmatched" else offered_at,
                "owner_partner_id": owner if owned else None,
                "claimed_at": claimed_at if owned else None,
                "contacted_at": contacted_at
                if status not in ("unmatched", "offered", "claimed")
                else None,
                "revenue_eur": Decimal(rng.randrange(10, 900) * 100) if status == "won" else None,
                "lost_reason": "price" if status == "lost" else None,
                "closed_at": closed_at if status in ("won", "lost") else None,
                "created_at": created,
                "updated_at": created,
            }
        )
        offered_to = rng.sample(partners, 4)
        if owned:
            offered_to = [owner, *[p for p in offered_to if p != owner][:2]]
        else:
            offered_to = offered_to[:3]
        if status != "unmatched":
            for rank, pid in enumerate(offered_to):
                won = owned and rank == 0
                offer_rows.append(
                    {
                        "lead_id": lead_id, "partner_id": pid, "round": 1, "wave": 1,
                        "rank": rank, "score": 0.5,
                        "status": "won" if won else ("open" if status == "offered" else ("taken" if owned else "closed")),
                        "created_at": offered_at,
                        "closed_at": claimed_at if owned else (None if status == "offered" else offered_at + timedelta(hours=2)),
                    }
                )  # fmt: skip
        trail = [("received", None, "received", created, None)]
        if status != "unmatched":
            trail.append(("status", "received", "offered", offered_at, None))
        if owned:
            trail.append(("status", "offered", "claimed", claimed_at, owner))
        if status in ("contacted", "proposal", "won", "lost"):
            trail.append(("status", "claimed", "contacted", contacted_at, owner))
        if status in ("won", "lost"):
            trail.append(("status", "contacted", status, closed_at, owner))
        if rng.random() < 0.04:  # a recall by the SLA timer some time ago
            recalled = rng.choice(partners)
            trail.append(("status", "claimed", "recalled", created + timedelta(hours=30), recalled))
            exclusion_rows.append(
                {"lead_id": lead_id, "partner_id": recalled, "reason": "recalled",
                 "at": created + timedelta(hours=30)}
            )  # fmt: skip
        while len(trail) < events_per_lead:
            trail.append(("follow_up", None, None, created + timedelta(hours=len(trail)), None))
        for kind, before, after, at, pid in trail:
            event_rows.append(
                {
                    "lead_id": lead_id, "at": at, "actor_kind": "system", "channel": "scheduler",
                    "kind": kind, "from_status": before, "to_status": after, "partner_id": pid,
                    "detail": {"reason": "sla"} if after == "recalled" else {},
                }
            )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            insert(Partner),
            [
                {"id": pid, "name": f"Bench Partner {pid}", "tier": "gold", "country": "DE"}
                for pid in partners
            ],
        )
        for table, rows in ((Lead, lead_rows), (Offer, offer_rows), (LeadEvent, event_rows),
                            (LeadExclusion, exclusion_rows)):  # fmt: skip
            for part in _chunks(rows):
                conn.execute(insert(table), part)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(
        f"  generated {len(lead_rows):,} leads, {len(event_rows):,} events, "
        f"{len(offer_rows):,} offers, {len(exclusion_rows):,} exclusions",
        flush=True,
    )


def _median(samples: list[float]) -> str:
    return f"{statistics.median(samples):.3f} s (min {min(samples):.3f}, max {max(samples):.3f})"


async def measure(url: str, runs: int) -> dict[str, str]:
    settings = load_settings(
        ROOT / "bot.toml", {"LEADBOT_DATABASE__URL": url, "LEADBOT_COCKPIT__SECRET": SECRET}
    )
    runtime = Runtime.create(settings)
    figures: dict[str, str] = {}
    try:
        app = create_app(runtime)
        async with runtime.uow() as uow:
            link = await create_login_link(uow, Actor.staff(Channel.CLI, name="bench"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            token = link.split("token=")[1]
            await http.post("/cockpit/login", data={"token": token})
            samples = []
            for _ in range(runs + 1):
                start = time.perf_counter()
                page = await http.get("/cockpit")
                samples.append(time.perf_counter() - start)
                assert page.status_code == 200 and "<svg" in page.text, page.text[:300]
            figures["GET /cockpit (overview)"] = _median(samples[1:])
            figures["GET /cockpit, first call"] = f"{samples[0]:.3f} s"
        samples = []
        for _ in range(runs + 1):
            start = time.perf_counter()
            async with runtime.uow() as uow:
                report = await pipeline(uow)
            text = render_report(report, "en")
            samples.append(time.perf_counter() - start)
        assert report.total > 0 and "Partners" in text
        figures["report (queries + text)"] = _median(samples[1:])
    finally:
        await runtime.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    env["LEADBOT_DATABASE__URL"] = url
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--config", str(ROOT / "bot.toml")],
        env=env, capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    figures["leadbot report (whole process)"] = f"{time.perf_counter() - start:.3f} s"
    assert done.returncode == 0, done.stderr
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with (
            tempfile.TemporaryDirectory() as tmp,
            scratch_database(backend, Path(tmp), "lb_bench_cockpit") as url,
        ):
            print(f"{backend}:", flush=True)
            start = time.perf_counter()
            upgrade(url)
            generate(url, args.leads, args.events_per_lead)
            print(f"  (set-up {time.perf_counter() - start:.0f} s)", flush=True)
            for label, value in asyncio.run(measure(url, args.runs)).items():
                print(f"  {label:34} {value}", flush=True)


if __name__ == "__main__":
    main()
