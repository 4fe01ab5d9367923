"""Benchmark: fanout to hundreds of channels, priority during a fanout, the staff feed burst.

Run by hand or with ``make bench`` (never part of the test suite)::

    .venv/bin/python bench/fanout.py                       # every scenario, SQLite
    .venv/bin/python bench/fanout.py --backend postgresql  # the same on the local PostgreSQL
    .venv/bin/python bench/fanout.py --only slack telegram --partners 500

``leadbot serve`` runs as its own process against the Slack and Telegram emulators (in
this process, with their rate limits on: Slack one message a second per channel, bursts
of 4, and a workspace ceiling of 600 at once then 10 a second; Telegram 30 a second for
the bot, 20 a minute per group). The bot runs on its defaults except where a scenario says.

Scenarios (each on a fresh database and a fresh bot process):

* ``slack``    one lead to N Slack channels: seconds from the POST's answer to the last
               teaser (target: 500 channels in under 5 s); a one-partner lead posted one
               second into the fanout: seconds until its teaser (target: under 1 s).
* ``telegram`` one lead to N Telegram groups: messages per second over the fanout against
               the configured ``[telegram] global_per_second`` (target: at least 90 %); the
               one-partner lead as above.
* ``both``     Slack and Telegram on, N of each: the Slack fanout must still finish in
               under 5 s (Slack is not held to Telegram's pace).
* ``staff``    a burst of 600 leads (each to one of 50 partners) posted as fast as the API
               takes them: seconds from the burst's end until the staff channel on both
               platforms has nothing waiting (target: within a minute).

On PostgreSQL the run also counts the database's transactions (committed and rolled back)
during each fanout run — the whole bot: start-up, intake, scheduler, sender, shutdown — per
outbox message.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from bot.migrate import upgrade
from tests.support.fanout import FanoutWorld, channel, fanout_world, group, partner_id
from tests.support.serveproc import Server

PG = "postgresql://postgres@127.0.0.1:5432/"
SLACK_TARGET = 5.0
PRIORITY_TARGET = 1.0
TELEGRAM_SHARE = 0.9
STAFF_TARGET = 60.0


@contextlib.contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{directory}/bench-{uuid.uuid4().hex[:8]}.db"
        upgrade(url)
        yield url
        return
    name = f"lb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG + "postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(PG + name)
        yield PG + name
    finally:
        with psycopg.connect(PG + "postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def commits(url: str) -> int | None:
    """Transactions of the database so far, committed or rolled back (read-only sessions
    end with a rollback); PostgreSQL only."""
    if not url.startswith("postgresql"):
        return None
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return int(row[0]) if row else None


def settle() -> None:
    """Let the freshly started bot finish its start-up work (library sync, platforms)."""
    time.sleep(1.0)


def first_times(times: Callable[[int], list[float]], count: int) -> list[float] | None:
    found = []
    for n in range(count):
        posted = times(n)
        if not posted:
            return None
        found.append(posted[0])
    return found


def wait(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def transactions(figures: dict[str, Any]) -> str:
    if "transactions" not in figures:
        return ""
    count, messages = figures["transactions"]
    return (
        f"; PostgreSQL: {count} transactions for {messages} messages, start-up, shutdown "
        f"and the pool's liveness pings included ({count / messages:.2f} per message)"
    )


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def one_partner_lead(world: FanoutWorld, server: Server, n: int, partner: int) -> float:
    """Post a lead only one partner may get; seconds from the POST's answer to its teaser
    on every enabled platform (the slower one counts)."""
    lead = {"consent.allowed_partners": [partner_id(partner)]}
    before_slack = len(world.slack.bot_message_times(channel(partner))) if world.slack else 0
    before_tg = len(world.telegram.bot_message_times(group(partner))) if world.telegram else 0
    world.post_lead(server, n, **lead)
    answered = time.time()
    arrivals = []
    if world.slack:
        slack = world.slack
        times = wait(
            "one-partner teaser on Slack",
            lambda: (t := slack.bot_message_times(channel(partner)))[before_slack:] and t,
            30,
        )
        arrivals.append(times[before_slack])
    if world.telegram:
        telegram = world.telegram
        times = wait(
            "one-partner teaser on Telegram",
            lambda: (t := telegram.bot_message_times(group(partner)))[before_tg:] and t,
            30,
        )
        arrivals.append(times[before_tg])
    return max(arrivals) - answered


def fanout(
    backend: str, directory: Path, partners: int, *, slack: bool, telegram: bool
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with (
        database(backend, directory) as url,
        fanout_world(url, directory, partners, slack=slack, telegram=telegram) as world,
    ):
        before = commits(url)
        with world.serving() as server:
            _fanout(world, server, partners, figures)
            server.stop(signal.SIGTERM)  # its connections close and report their statistics
        after = commits(url)
        if before is not None and after is not None:
            figures["transactions"] = (after - before, world.outbox_count())
    return figures


def _fanout(world: FanoutWorld, server: Server, partners: int, figures: dict[str, Any]) -> None:
    settle()
    world.post_lead(server, 1)
    answered = time.time()
    time.sleep(1.0)
    # The one-partner lead goes to the last partner: its channel is still waiting for
    # the wide lead's teaser on Telegram.
    figures["priority"] = one_partner_lead(world, server, 2, partners - 1)
    if world.slack:
        slack = world.slack
        times = wait(
            "Slack fanout",
            lambda: first_times(lambda n: slack.bot_message_times(channel(n)), partners),
            120,
        )
        figures["slack_seconds"] = max(times) - answered
    if world.telegram:
        tg = world.telegram
        times = wait(
            "Telegram fanout",
            lambda: first_times(lambda n: tg.bot_message_times(group(n)), partners),
            300,
        )
        figures["telegram_rate"] = (partners - 1) / (max(times) - min(times))
    wait("outbox", lambda: world.pending("slack") + world.pending("telegram") == 0, 60)


def staff_burst(backend: str, directory: Path, leads: int, partners: int) -> dict[str, Any]:
    with (
        database(backend, directory) as url,
        fanout_world(url, directory, partners) as world,
        world.serving() as server,
    ):
        settle()
        started = time.time()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(
                pool.map(
                    lambda n: world.post_lead(
                        server, n, **{"consent.allowed_partners": [partner_id(n % partners)]}
                    ),
                    range(leads),
                )
            )
        ended = time.time()
        waiting = {p: world.pending(p, "staff") for p in ("slack", "telegram")}
        wait(
            "staff feed",
            lambda: world.pending("slack", "staff") + world.pending("telegram", "staff") == 0,
            600,
        )
        caught_up = time.time()
        assert world.slack is not None
        summaries = sum(
            "catching up" in m.all_text for m in world.slack.bot_messages("CSTAFF00001")
        )
    return {
        "burst_seconds": ended - started,
        "waiting_at_end": waiting,
        "catch_up": caught_up - ended,
        "summaries": summaries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--leads", type=int, default=600, help="leads in the staff burst")
    parser.add_argument(
        "--only",
        nargs="*",
        default=["slack", "telegram", "both", "staff"],
        choices=["slack", "telegram", "both", "staff"],
    )
    args = parser.parse_args()
    n = args.partners
    print(f"fanout benchmark: {n} partners, {args.backend}, leadbot serve in its own process")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if "slack" in args.only:
            f = fanout(args.backend, directory, n, slack=True, telegram=False)
            print(
                f"  slack     {n} channels in {f['slack_seconds']:.2f} s "
                f"(target < {SLACK_TARGET:.0f} s: {verdict(f['slack_seconds'] < SLACK_TARGET)}); "
                f"one-partner lead during it: {f['priority']:.2f} s "
                f"({verdict(f['priority'] < PRIORITY_TARGET)})" + transactions(f)
            )
        if "telegram" in args.only:
            f = fanout(args.backend, directory, n, slack=False, telegram=True)
            share = f["telegram_rate"] / 25.0
            print(
                f"  telegram  {n} groups at {f['telegram_rate']:.1f} msg/s = {share:.0%} of the "
                f"configured 25/s (target >= {TELEGRAM_SHARE:.0%}: "
                f"{verdict(share >= TELEGRAM_SHARE)}); one-partner lead during it: "
                f"{f['priority']:.2f} s ({verdict(f['priority'] < PRIORITY_TARGET)})"
                + transactions(f)
            )
        if "both" in args.only:
            f = fanout(args.backend, directory, n, slack=True, telegram=True)
            print(
                f"  both      {n} Slack channels in {f['slack_seconds']:.2f} s with Telegram on "
                f"({verdict(f['slack_seconds'] < SLACK_TARGET)}); Telegram at "
                f"{f['telegram_rate']:.1f} msg/s; one-partner lead on both: {f['priority']:.2f} s "
                f"({verdict(f['priority'] < PRIORITY_TARGET)})"
            )
        if "staff" in args.only:
            f = staff_burst(args.backend, directory, args.leads, 50)
            print(
                f"  staff     {args.leads} leads posted in {f['burst_seconds']:.1f} s; waiting "
                f"for the staff feed at the burst's end: {f['waiting_at_end']}; caught up "
                f"{f['catch_up']:.1f} s after it (target < {STAFF_TARGET:.0f} s: "
                f"{verdict(f['catch_up'] < STAFF_TARGET)}); {f['summaries']} summaries on Slack"
            )


if __name__ == "__main__":
    main()
