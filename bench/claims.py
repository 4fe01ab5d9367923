"""Benchmark: 200 reps press Claim on the same lead at the same moment, over Slack.

Run by hand or with ``make bench-claims`` (never part of the test suite)::

    .venv/bin/python bench/claims.py              # SQLite 1 process, PostgreSQL 1 and 3
    .venv/bin/python bench/claims.py --quick      # one round instead of three
    .venv/bin/python bench/claims.py --only pg1 --presses 100

Per setup: a fresh database, N partners with one rep and one Slack channel each, one
wave to everyone, ``leadbot serve`` processes against the Slack emulator (rate limits
off). Per round a lead is posted, its teaser reaches every channel, then every rep
presses Claim at once (the presses spread round robin over the processes). Reported over
all rounds:

* ``ack p50/p99``  seconds until the bot answered the press's HTTP request (Slack's ack)
* ``answered p50/p99``  seconds from the burst until each presser saw the outcome of their
                   press (the ephemeral "yours" / "already taken" reaching the emulator): a
                   press acknowledged early is not answered any earlier
* ``errors``       presses answered with anything but 200 (each presser's ephemeral
                   answer is awaited before the next round)
* ``winners``      leads claimed (must equal the rounds: exactly one winner each)
* ``CPU ms/press`` the servers' CPU time from the presses until every presser had their
                   answer, per press

Each round's ack and answered p99 is printed as it ends (stderr). The benchmark's own
garbage collector is off while the presses are sent and acknowledged (``client_without_gc``).

Target (issue 14): p99 < 0.25 s and 0 errors in every setup.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadworld import (
    ALL_AT_ONCE,
    Setup,
    cpu_seconds,
    median,
    percentile,
    pick,
    profiled,
    table,
    wait_until,
    world,
)
from sqlalchemy import func, select

from bot.models import Lead, LeadStatus
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack.driver import SlackDriver
from tests.emulators.slack.signing import DriverResponse, sign
from tests.support.cli import db_session
from tests.support.fanout import FanoutWorld, channel, rep_user
from tests.support.serveproc import Server


class SharedClientDriver(SlackDriver):
    """The emulator's Slack driver, preparing every press first and sending them over one
    shared HTTP client.

    The plain driver makes an httpx client per request, and builds each press (finding
    the button in the emulator, copying the message) right before sending it: with 200
    presses at once that work of this process would be counted as the bot's answer time.
    aiohttp, not httpx: against a server that answers 200 at once, 200 simultaneous
    httpx requests took 0.6–0.9 s p50 and 1.6–1.9 s p99 on this machine, aiohttp 0.11 /
    0.13 s — the old figures measured mostly the client.
    Here :meth:`prepare` builds the bodies, :meth:`send` signs and sends them all at once;
    signing and payloads are the driver's own."""

    def __init__(self, emulator: SlackEmulator, url: str, http: aiohttp.ClientSession) -> None:
        super().__init__(emulator, url, SLACK_SIGNING_SECRET)
        self.http = http
        self.prepared: list[tuple[bytes, str, dict[str, Any]]] = []

    async def post(  # type: ignore[override]
        self, body: bytes, content_type: str, payload: dict[str, Any], **_delivery: Any
    ) -> DriverResponse:
        self.prepared.append((body, content_type, payload))
        return DriverResponse(status=0, body="", headers={}, elapsed=0.0, payload=payload)

    async def warm_up(self, connections: int) -> None:
        """Open ``connections`` keep-alive connections to the server before the burst, so
        the ack times are the bot's answer over an open connection, not the TCP set-up of
        200 connections at once in this Python process (about 0.2 s before the first request
        even reached the server)."""

        async def one() -> None:  # a GET of the events URL: 405, nothing else done
            async with self.http.get(self.request_url) as answer:
                await answer.read()

        await asyncio.gather(*(one() for _ in range(connections)))

    async def send(self, body: bytes, content_type: str, payload: dict[str, Any]) -> Any:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(self.signing_secret, timestamp, body),
        }
        started = time.perf_counter()
        async with self.http.post(self.request_url, data=body, headers=headers) as answer:
            text = await answer.text()
        return DriverResponse(
            status=answer.status,
            body=text,
            headers=dict(answer.headers),
            elapsed=time.perf_counter() - started,
            payload=payload,
        )


async def press_all(
    slack: SlackEmulator, servers: list[Server], presses: int
) -> tuple[float, list[Any]]:
    """Every rep presses at once: the wall-clock time of the burst, and the answers."""
    connector = aiohttp.TCPConnector(limit=presses + len(servers))
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        drivers = [SharedClientDriver(slack, f"{s.url}/slack/events", http) for s in servers]
        for n in range(presses):
            await drivers[n % len(drivers)].press_button(
                "lead_claim", user=rep_user(n), channel=channel(n)
            )
        await asyncio.gather(*(d.warm_up(presses // len(drivers) + 1) for d in drivers))
        burst = time.time()
        return burst, list(
            await asyncio.gather(
                *(
                    drivers[n % len(drivers)].send(
                        *drivers[n % len(drivers)].prepared[n // len(drivers)]
                    )
                    for n in range(presses)
                )
            )
        )


@contextlib.contextmanager
def client_without_gc() -> Iterator[None]:
    """The benchmark's own garbage collector off while the presses are sent and acknowledged.

    This process is the client and the Slack emulator, whose state grows round by round;
    a full collection of it took up to 0.19 s and landed in the acks measured (time that is
    not the bot's). It runs after the burst instead."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def posted(slack: SlackEmulator, n: int) -> int:
    """How many messages the bot has posted in partner ``n``'s channel (teasers only)."""
    return len(slack.bot_messages(channel(n)))


def claimed(fanout: FanoutWorld) -> int:
    with db_session(fanout.database_url) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Lead).where(Lead.status == LeadStatus.CLAIMED)
            )
            or 0
        )


def run_setup(setup: Setup, directory: Path, presses: int, rounds: int) -> list[object]:
    acks: list[float] = []
    answered_after: list[float] = []
    errors = 0
    cpu = 0.0  # the servers' CPU seconds from the presses until every presser was answered
    with world(setup, directory, presses, ALL_AT_ONCE) as (fanout, servers):
        slack = fanout.slack
        assert slack is not None
        time.sleep(1.0)  # start-up work (library sync) out of the way
        for n in range(rounds):
            # Messages, not teasers with a button: the last round's teasers lose theirs
            # when they are edited to "taken", which may happen during this round.
            before = [posted(slack, k) for k in range(presses)]
            fanout.post_lead(servers[n % len(servers)], 10_000 + n)
            wait_until(  # a channel's new teaser follows its "taken" edit of the last round,
                # and Slack allows about 50 edits a minute: ~4 minutes for 200 channels
                "a teaser in every channel",
                lambda before=before: all(posted(slack, k) > before[k] for k in range(presses)),
                600,
            )
            answered = len(slack.ephemerals())
            cpu -= cpu_seconds(servers)
            with profiled(servers, f"claims-{n}"):
                with client_without_gc():
                    burst, answers = asyncio.run(press_all(slack, servers, presses))
                wait_until(  # every presser told the outcome (the edits of teasers are paced)
                    "every presser's answer",
                    lambda answered=answered: len(slack.ephemerals()) - answered >= presses,
                    120,
                )
            acks += [a.elapsed for a in answers]
            errors += sum(1 for a in answers if a.status != 200)
            cpu += cpu_seconds(servers)
            first: dict[tuple[str, str], float] = {}
            for told in slack.ephemerals()[answered:]:
                first.setdefault((told.channel, told.user), told.at)
            told_after = [
                first[(channel(k), rep_user(k))] - burst
                for k in range(presses)
                if (channel(k), rep_user(k)) in first
            ]
            answered_after += told_after
            round_acks = [a.elapsed for a in answers]
            print(
                f"  ... {setup.label}, round {n + 1}/{rounds}: ack p99 "
                f"{percentile(round_acks, 0.99):.3f} s, answered p99 "
                f"{percentile(told_after, 0.99):.3f} s",
                file=sys.stderr,
            )
        winners = claimed(fanout)
    return [
        setup.label,
        f"{median(acks):.3f}",
        f"{percentile(acks, 0.99):.3f}",
        f"{max(acks):.3f}",
        f"{median(answered_after):.3f}",
        f"{percentile(answered_after, 0.99):.3f}",
        str(errors),
        f"{winners}/{rounds}",
        f"{cpu / (presses * rounds) * 1000:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--presses", type=int, default=200, help="reps pressing at once")
    parser.add_argument(
        "--only", nargs="*", default=["sqlite", "pg1", "pg3"], choices=["sqlite", "pg1", "pg3"]
    )
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, setup in enumerate(pick(args.only)):
            directory = Path(tmp) / f"setup{n}"
            directory.mkdir()
            rows.append(run_setup(setup, directory, args.presses, rounds))
            print(f"  ... {setup.label} done", file=sys.stderr)
    print(
        table(
            f"claims: {args.presses} presses at once on one lead, {rounds} round(s), Slack",
            [
                "setup",
                "ack p50 s",
                "ack p99 s",
                "ack max s",
                "answered p50 s",
                "answered p99 s",
                "errors",
                "winners",
                "CPU ms/press",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
