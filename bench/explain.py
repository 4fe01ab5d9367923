"""Benchmark: staff's ``explain`` and pipeline answers for a lead offered to hundreds of partners.

Run by hand (never part of the test suite)::

    .venv/bin/python bench/explain.py               # SQLite and PostgreSQL, 300 and 1,000
    .venv/bin/python bench/explain.py --backends sqlite --partners 300,3000 --runs 10
    .venv/bin/python bench/explain.py --history 0   # the one lead alone, no earlier offers

Per backend and directory size, on a fresh database: N partners that all fit (one wave to
everyone, as ``bench/fanout.py`` and ``tests/test_slack_long_texts.py``), imported with
``leadbot partners import``, and one lead imported with ``leadbot leads import``, so it is
offered to all N; before it, ``--history`` leads of the past year (default 200), each
offered to all N too (200 × 1,000 = 200,000 offers: what fairness and the report count).
Then, in this process, the answers a staff member gets through the
chats' one entry point (``Interactions.execute``, as Slack ``/leads explain 12``, Telegram
``/explain 12`` and the console's ``explain 12``):

* ``explain``  every partner listed (``limit=0``, as Slack asks for it);
* ``pipeline`` ``/leads`` for staff: every open lead and the report with its partner rows.

Printed per answer: the SQL statements it sent (an engine event counts them: the load the
database sees), the median wall time over ``--runs`` after one warm-up, and the time spent
inside those statements. PostgreSQL: a throw-away database on 127.0.0.1:5432 (user
postgres) is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner
from scratch import scratch_database
from sqlalchemy import event, insert

import bot.chat.commands as c
from bot.chat.identity import Identity
from bot.chat.interactions import Interactions
from bot.chat.results import Explanation, LeadList
from bot.cli import main as leadbot
from bot.config import load_settings
from bot.db import create_engine_sync
from bot.migrate import upgrade
from bot.models import Lead, Offer, Platform
from bot.runtime import Runtime
from tests.support.factories import lead_payload
from tests.support.fanout import company, config_toml, write_directory

STAFF = Identity(Platform.SLACK, "USTAFF", name="Bench", language="de", is_staff=True)


def _cli(config: Path, *args: str) -> None:
    hidden: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LEADBOT_")}
    result = CliRunner().invoke(leadbot, ["--config", str(config), *args], env=hidden)
    assert result.exit_code == 0, result.output


def _seed(url: str, config: Path, directory: Path, partners: int, history: int) -> None:
    """N partners that all fit, lead 1 offered to every one of them, and ``history`` earlier
    leads of the past year, each offered to every partner too (Core inserts)."""
    write_directory(directory, partners, slack=False, telegram=False)
    _cli(config, "partners", "import", str(directory / "partners.csv"))
    _cli(config, "reps", "import", str(directory / "reps.csv"))
    leads = directory / "leads.json"
    leads.write_text(json.dumps([lead_payload(**company(1))]), encoding="utf-8")
    _cli(config, "leads", "import", str(leads))
    now = datetime.now(UTC)
    engine = create_engine_sync(url)
    with engine.begin() as conn:
        for n in range(history):
            at = now - timedelta(days=1 + n * 364 / max(history, 1))
            lead_id = conn.execute(
                insert(Lead).returning(Lead.id),
                [{"status": "unclaimed", "products": ["X200"], "offer_round": 1,
                  "created_at": at, "updated_at": at, "offered_at": at}],
            ).scalar_one()  # fmt: skip
            conn.execute(
                insert(Offer),
                [{"lead_id": lead_id, "partner_id": f"P{p:04d}", "round": 1, "wave": 1,
                  "rank": p + 1, "score": 0.5, "status": "closed", "created_at": at,
                  "closed_at": at} for p in range(partners)],
            )  # fmt: skip
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


async def _measure(config: Path, partners: int, runs: int) -> list[tuple[str, int, float, float]]:
    runtime = Runtime.create(load_settings(config))
    timings: list[float] = []

    def started(conn: Any, *_: Any) -> None:
        conn.info["bench.t0"] = time.perf_counter()

    def finished(conn: Any, *_: Any) -> None:
        timings.append(time.perf_counter() - conn.info.pop("bench.t0"))

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", started)
    event.listen(runtime.engine.sync_engine, "after_cursor_execute", finished)
    chats = Interactions(runtime)
    rows = []
    try:
        for name, command in (("explain", c.Explain(1, None, 0)), ("pipeline", c.ListLeads())):
            walls, statements, sql = [], 0, 0.0
            for run in range(runs + 1):
                timings.clear()
                start = time.perf_counter()
                result = await chats.execute(STAFF, command)
                if run:  # the first run warms the caches, as a running bot has them
                    walls.append(time.perf_counter() - start)
                    statements, sql = len(timings), sum(timings)
            _check(result, partners)
            rows.append((name, statements, statistics.median(walls), sql))
    finally:
        await runtime.close()
    return rows


def _check(result: Any, partners: int) -> None:
    """The answer lists every partner (a benchmark of an answer that lost some is void)."""
    if isinstance(result, Explanation):
        text = "\n".join(result.lines)
        assert all(f"P{n:04d} " in text for n in range(partners)), "explain: a partner missing"
    else:
        assert isinstance(result, LeadList) and result.pipeline is not None
        assert len(result.pipeline.partners) == partners, "pipeline: a partner missing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--partners", default="300,1000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--history", type=int, default=200, help="earlier leads, each offered to everyone"
    )
    args = parser.parse_args()
    print(
        f"{'backend':10} {'partners':>8}  {'answer':8} {'statements':>10} {'ms':>8} {'SQL ms':>8}"
    )
    for backend in args.backends.split(","):
        for partners in (int(n) for n in args.partners.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                directory = Path(tmp)
                with scratch_database(backend, directory, "lb_bench_explain") as url:
                    upgrade(url)
                    config = directory / "bench.toml"
                    config.write_text(config_toml(url, None, None, {}), encoding="utf-8")
                    _seed(url, config, directory, partners, args.history)
                    for answer, statements, wall, sql in asyncio.run(
                        _measure(config, partners, args.runs)
                    ):
                        print(
                            f"{backend:10} {partners:>8}  {answer:8} {statements:>10} "
                            f"{wall * 1000:>8.1f} {sql * 1000:>8.1f}",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
