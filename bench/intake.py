"""Benchmark: intake under load — POST /api/leads, the first teaser, `leadbot leads import`.

Run by hand or with ``make bench-intake`` (never part of the test suite)::

    .venv/bin/python bench/intake.py              # SQLite 1 process, PostgreSQL 1 and 3
    .venv/bin/python bench/intake.py --quick      # fewer leads, same table
    .venv/bin/python bench/intake.py --only sqlite pg3
    BENCH_PROFILE=/tmp/prof .venv/bin/python bench/intake.py --quick --only sqlite

With ``BENCH_PROFILE=DIR``, py-spy samples the servers during the 32-client run and the
import command (collapsed stacks in ``DIR``; ``pip install py-spy``).

Per setup (a fresh database, 200 partners with a Slack channel each, the bot's default
waves, ``leadbot serve`` processes against the Slack emulator with its rate limits off and
the bot's workspace-wide Slack pace lifted, :data:`BOT_PACE`):

* ``leads/s @8``, ``@32``  leads answered per second with 8 and 32 clients posting at
                           once (round robin over the processes); ``CPU ms/lead``: the
                           servers' CPU time per lead in the 32-client run; ``db CPU
                           ms/lead``: PostgreSQL's (its ``postgres`` processes); ``all CPU
                           ms/lead``: the whole machine's busy CPU time per lead in that
                           run (servers, database, load client, emulator: all cores).
* ``teaser p50/p99``      200 leads posted at once, each to its own partner: seconds from
                           the burst until each lead's teaser is in its Slack channel.
* ``import/s``            ``leadbot leads import`` of a JSON file (servers stopped), start-up
                           of the command included.

Then, in this process on SQLite, the intake path itself (``receive`` + commit, as one
``POST`` does, and in batches as under load or in an import): SQL statements and CPU
milliseconds per lead — the figures to compare changes by on a busy machine. Targets
(issue 14): >= 200 leads/s on SQLite, >= 500 on PostgreSQL with three processes, teaser
p99 < 1 s, import >= 500 leads/s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadclient import Posted, post
from loadworld import (
    DEFAULT_WAVES,
    Setup,
    cpu_seconds,
    machine_cpu_seconds,
    median,
    named_cpu_seconds,
    percentile,
    pick,
    profiled,
    table,
    wait_until,
    world,
)
from sqlalchemy import event

from bot.actors import Actor
from bot.config import load_settings
from bot.intake.batches import MAX_BATCH as BATCH
from bot.intake.problems import validate_lead
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.intake.storing import store_batch
from bot.migrate import upgrade
from bot.models import Channel
from bot.runtime import Runtime
from tests.emulators.slack import SlackEmulator
from tests.support.cli import leadbot
from tests.support.factories import lead_payload
from tests.support.fanout import (
    API_TOKEN,
    FanoutWorld,
    channel,
    company,
    config_toml,
    partner_id,
    write_directory,
)
from tests.support.serveproc import Server

PARTNERS = 200
BURST = 200
BOT_PACE = {"workspace_per_second": 10_000.0, "workspace_burst": 100_000}
"""The bot's own workspace-wide Slack pace lifted too (default 10/s, bursts of 600): the
full run's 2,000 leads emptied that bucket, so the burst's teasers waited 10–20 s for it
and the CPU per lead counted the minutes of draining. The per-channel pace stays."""
_numbers = itertools.count(1)


def lead_for(n: int, partner: int) -> dict[str, object]:
    """Prospect ``n`` (unique: never held as a duplicate), offered to partner ``partner``."""
    return lead_payload(**company(n), **{"consent.allowed_partners": [partner_id(partner)]})


def post_many(servers: list[Server], leads: list[dict[str, object]], clients: int) -> Posted:
    """Post ``leads`` with ``clients`` concurrent clients, from the load client's own process
    (``bench/loadclient.py``: in this one it slowed down the Slack emulator's thread)."""
    return post([s.url for s in servers], leads, clients, API_TOKEN)


def throughput(fanout: FanoutWorld, servers: list[Server], clients: int, count: int) -> float:
    leads = [lead_for(next(_numbers), n % PARTNERS) for n in range(count)]
    elapsed = post_many(servers, leads, clients).elapsed
    wait_until("the outbox", lambda: fanout.pending("slack") == 0, 300)
    return count / elapsed


def first_teasers(fanout: FanoutWorld, servers: list[Server]) -> list[float]:
    """Post BURST leads at once, lead k to partner k; seconds until each one's teaser."""
    slack = fanout.slack
    assert slack is not None
    before = [len(slack.bot_message_times(channel(k))) for k in range(BURST)]
    leads = [lead_for(next(_numbers), k) for k in range(BURST)]
    sent = post_many(servers, leads, BURST).started

    def arrived() -> bool:
        return all(len(slack.bot_message_times(channel(k))) > before[k] for k in range(BURST))

    wait_until("every teaser of the burst", arrived, 120)
    return [slack.bot_message_times(channel(k))[before[k]] - sent for k in range(BURST)]


def import_rate(fanout: FanoutWorld, count: int, name: str) -> float:
    """Leads per second of ``leadbot leads import``; with ``BENCH_PROFILE=DIR`` the command
    runs under py-spy (``DIR/<name>.txt``, which slows it down a little)."""
    path = fanout.directory / "leads.json"
    leads = [lead_for(next(_numbers), n % PARTNERS) for n in range(count)]
    path.write_text(json.dumps(leads), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    env["LEADBOT_DATABASE__URL"] = fanout.database_url
    command = [str(Path(sys.executable).with_name("leadbot")), "--config", str(fanout.config)]
    target = os.environ.get("BENCH_PROFILE")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        spy = str(Path(sys.executable).with_name("py-spy"))
        output = str(Path(target) / f"{name}.txt")
        command = [spy, "record", "-r", "500", "-f", "raw", "-o", output, "--", *command]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "leads", "import", str(path)], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"leadbot leads import failed:\n{done.stderr}")
    return count / elapsed


def run_setup(setup: Setup, directory: Path, leads: int, imported: int) -> list[object]:
    with world(setup, directory, PARTNERS, DEFAULT_WAVES, BOT_PACE) as (fanout, servers):
        time.sleep(1.0)  # start-up work (library sync) out of the way
        throughput(fanout, servers, 8, max(20, leads // 10))  # warm-up: caches, connections
        at8 = throughput(fanout, servers, 8, leads)
        cpu, machine = cpu_seconds(servers), machine_cpu_seconds()
        database = named_cpu_seconds("postgres")
        with profiled(servers, f"intake-{setup.backend}-{setup.processes}"):
            at32 = throughput(fanout, servers, 32, leads)
        cpu_per_lead = (cpu_seconds(servers) - cpu) / leads * 1000
        machine_per_lead = (machine_cpu_seconds() - machine) / leads * 1000
        database_per_lead = (named_cpu_seconds("postgres") - database) / leads * 1000
        teasers = first_teasers(fanout, servers)
        for server in servers:
            server.stop(15)  # SIGTERM
        rate = import_rate(fanout, imported, f"import-{setup.backend}-{setup.processes}")
    return [
        setup.label,
        f"{at8:.0f}",
        f"{at32:.0f}",
        f"{cpu_per_lead:.1f}",
        f"{database_per_lead:.1f}" if setup.backend == "postgresql" else "-",
        f"{machine_per_lead:.1f}",
        f"{median(teasers):.2f}",
        f"{percentile(teasers, 0.99):.2f}",
        f"{rate:.0f}",
    ]


Measure = tuple[float, float]
"""SQL statements and CPU milliseconds per lead."""


async def _in_process(config: Path, count: int) -> tuple[Measure, Measure]:
    settings = load_settings(config)
    runtime = Runtime.create(settings)
    statements = 0

    @event.listens_for(runtime.engine.sync_engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    leads: list[LeadIn] = []
    for n in range(2 * count + 2 * BATCH):
        lead, _problems = validate_lead(lead_for(n, n % PARTNERS), settings)
        assert lead is not None
        leads.append(lead)
    actor = Actor.system(Channel.API)

    async def one(lead: LeadIn) -> None:
        async with runtime.uow() as uow:
            await receive(uow, lead, actor)
            await uow.commit()

    async def batches(chunk: list[LeadIn]) -> None:
        for start in range(0, len(chunk), BATCH):
            results = await store_batch(runtime, chunk[start : start + BATCH], actor)
            assert not any(isinstance(r, BaseException) for r in results), results

    def measured() -> Measure:
        return statements / count, (time.process_time() - cpu) / count * 1000

    try:
        for lead in leads[:BATCH]:  # warm-up
            await one(lead)
        statements, cpu = 0, time.process_time()
        for lead in leads[BATCH : BATCH + count]:
            await one(lead)
        alone = measured()
        await batches(leads[BATCH + count : 2 * BATCH + count])  # warm-up
        statements, cpu = 0, time.process_time()
        await batches(leads[2 * BATCH + count :])
        return alone, measured()
    finally:
        await runtime.close()


def in_process(directory: Path, count: int) -> tuple[Measure, Measure]:
    """Statements and CPU ms per lead of the intake path alone (SQLite, this process): one
    lead per transaction, and in batches of :data:`BATCH` as under load or in an import."""
    url = f"sqlite:///{directory}/profile.db"
    upgrade(url)
    with SlackEmulator(token="xoxb-test-token") as slack:
        write_directory(directory, PARTNERS, slack=True, telegram=False)
        for what in ("partners", "reps"):
            result = leadbot(url, what, "import", str(directory / f"{what}.csv"))
            assert result.exit_code == 0, result.output
        config = directory / "profile.toml"
        waves = {"distribution": {"waves": DEFAULT_WAVES}}
        config.write_text(config_toml(url, slack, None, waves), encoding="utf-8")
        os.environ.setdefault("LEADBOT_SLACK__BOT_TOKEN", "xoxb-test-token")
        os.environ.setdefault("LEADBOT_SLACK__SIGNING_SECRET", "profile-signing-secret")
        return asyncio.run(_in_process(config, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer leads per measurement")
    parser.add_argument(
        "--only", nargs="*", default=["sqlite", "pg1", "pg3"], choices=["sqlite", "pg1", "pg3"]
    )
    args = parser.parse_args()
    leads, imported, alone = (200, 500, 200) if args.quick else (1000, 2000, 1000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, setup in enumerate(pick(args.only)):
            directory = Path(tmp) / f"setup{n}"
            directory.mkdir()
            rows.append(run_setup(setup, directory, leads, imported))
            print(f"  ... {setup.label} done", file=sys.stderr)
        one, batched = in_process(Path(tmp), alone)
    print(
        table(
            f"intake: {PARTNERS} partners, {leads} leads per rate, a burst of {BURST}, "
            f"import of {imported}",
            [
                "setup",
                "leads/s @8",
                "leads/s @32",
                "CPU ms/lead",
                "db CPU ms/lead",
                "all CPU ms/lead",
                "teaser p50 s",
                "teaser p99 s",
                "import/s",
            ],
            rows,
        )
    )
    print(
        f"intake path in one process (SQLite, {alone} leads): {one[0]:.1f} SQL statements "
        f"and {one[1]:.1f} ms CPU per lead one at a time, {batched[0]:.1f} and "
        f"{batched[1]:.1f} in batches of {BATCH}"
    )


if __name__ == "__main__":
    main()
