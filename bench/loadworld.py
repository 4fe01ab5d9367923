"""What bench/intake.py and bench/claims.py share: ``leadbot serve`` processes under load.

A fresh database per backend (SQLite file, or a new PostgreSQL database that is dropped
afterwards), the Slack emulator with N partner channels (tests/support/fanout.py), and one
or more ``leadbot serve`` processes on it. Several processes share the machine's Redis
under a key prefix of their own (wake-ups, de-duplication and the scheduler's lease cross
processes as in production); a single process runs without Redis, as a small install does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fanout import database

from tests.emulators.fixtures import SLACK_SIGNING_SECRET, SLACK_TOKEN
from tests.support.fanout import API_TOKEN, FanoutWorld, fanout_world
from tests.support.serveproc import Server, serve

REDIS = "redis://127.0.0.1:6379/0"
UNLIMITED = {  # the emulator's rate limits off: these benches measure the bot, not Slack's pacing
    "post_per_second": 1e9,
    "post_burst": 10**9,
    "workspace_per_second": 1e9,
    "workspace_burst": 10**9,
}
DEFAULT_WAVES = "[{size = 1, minutes = 60}, {size = 5, minutes = 120}, {size = 0, minutes = 1440}]"
ALL_AT_ONCE = "[{size = 0, minutes = 600}]"


@dataclass(frozen=True)
class Setup:
    """One row of a bench table: a backend and how many ``leadbot serve`` processes."""

    backend: str  # "sqlite" or "postgresql"
    processes: int

    @property
    def label(self) -> str:
        name = "SQLite" if self.backend == "sqlite" else "PostgreSQL"
        return f"{name}, {self.processes} process{'es' if self.processes > 1 else ''}"


SETUPS = (Setup("sqlite", 1), Setup("postgresql", 1), Setup("postgresql", 3))


def pick(names: Sequence[str]) -> list[Setup]:
    """``sqlite``, ``pg1``, ``pg3`` on the command line -> the setups to run."""
    table = {"sqlite": SETUPS[0], "pg1": SETUPS[1], "pg3": SETUPS[2]}
    return [table[n] for n in names]


TRY_PREFIX = "BENCH_LEADBOT_"


@contextlib.contextmanager
def world(
    setup: Setup, directory: Path, partners: int, waves: str, slack: dict[str, Any] | None = None
) -> Iterator[tuple[FanoutWorld, list[Server]]]:
    """A fresh database with ``partners`` Slack partners, and ``setup.processes`` servers.

    ``slack``: settings of the bot's ``[slack]`` section (e.g. its own pace). A variable
    ``BENCH_LEADBOT_<NAME>`` of the benchmark's environment reaches the servers as
    ``LEADBOT_<NAME>`` (e.g. ``BENCH_LEADBOT_OUTBOX__MAX_IN_FLIGHT=64``), to try a setting."""
    pool = {"pool_size": 5} if setup.processes > 1 else {}  # ~30 connections for three
    with (
        database(setup.backend, directory) as url,
        fanout_world(
            url,
            directory,
            partners,
            telegram=False,
            slack_options=UNLIMITED,
            settings={"distribution": {"waves": waves}, "database": pool, "slack": slack or {}},
        ) as fanout,
        contextlib.ExitStack() as stack,
    ):
        env = {
            "LEADBOT_SERVER__API_TOKEN": API_TOKEN,
            "LEADBOT_SLACK__BOT_TOKEN": SLACK_TOKEN,
            "LEADBOT_SLACK__SIGNING_SECRET": SLACK_SIGNING_SECRET,
        }
        if setup.processes > 1:
            env["LEADBOT_REDIS__URL"] = REDIS
            env["LEADBOT_REDIS__KEY_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}:"
        tried = {
            k.removeprefix("BENCH_"): v for k, v in os.environ.items() if k.startswith(TRY_PREFIX)
        }
        if "LEADBOT_DATABASE__URL" in tried:
            raise SystemExit("BENCH_LEADBOT_DATABASE__URL: each setup makes its own database")
        env.update(tried)  # last: what is tried wins over the setup's own values
        servers = [
            stack.enter_context(serve(url, config=fanout.config, **env))
            for _ in range(setup.processes)
        ]
        yield fanout, servers


def cpu_seconds(servers: Sequence[Server]) -> float:
    """CPU time (user + system) the server processes used so far (Linux /proc)."""
    total = 0
    for server in servers:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / 100.0


def named_cpu_seconds(name: str) -> float:
    """CPU time (user + system) of the running processes called ``name`` (``postgres``: the
    database server's backends, which live as long as the servers' pooled connections)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        head, _, rest = text.rpartition(")")
        if head.partition("(")[2] == name:
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / 100.0


def machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy so far, all cores (Linux ``/proc/stat``): the
    servers, PostgreSQL, the load client, the emulator and anything else running. Beside
    :func:`cpu_seconds` it shows how much of the machine the bot leaves to the rest."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / 100.0


@contextlib.contextmanager
def profiled(servers: Sequence[Server], name: str) -> Iterator[None]:
    """With ``BENCH_PROFILE=DIR`` set: py-spy samples every server while the block runs
    (``DIR/<name>-<n>.txt``, collapsed stacks for a flame graph or ``bench/hotspots.py``).
    Without it, nothing happens; py-spy must be installed (``pip install py-spy``)."""
    target = os.environ.get("BENCH_PROFILE")
    if not target:
        yield
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    spies = [
        subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "-p",
                str(server.process.pid),
                "-r",
                "500",
                "-f",
                "raw",
                "-o",
                str(Path(target) / f"{name}-{n}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n, server in enumerate(servers)
    ]
    time.sleep(0.5)  # py-spy attaches
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table: one header line, one line per row, columns right-aligned."""
    cells = [list(columns)] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [title]
    for n, row in enumerate(cells):
        lines.append(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def wait_until(what: str, check: object, timeout: float) -> None:
    """Poll ``check`` until true; a clear error naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)
