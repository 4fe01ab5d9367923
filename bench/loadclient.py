"""The intake benchmarks' load client: posts leads to ``POST /api/leads`` from a process of
its own.

Why a process of its own: the benchmark's process also runs the Slack emulator, a thread
that stamps each teaser as it arrives. In one interpreter the emulator waited for the GIL
behind the client's event loop (a waiting thread gets it only after the 5 ms switch
interval), so during a burst of 200 leads the teasers were stamped late, and the bot's
sends, each waiting for the emulator's answer, held the sender's slots longer: the teaser
figures measured the benchmark as much as the bot.

    BENCH_API_TOKEN=... python bench/loadclient.py --clients 32 URL [URL ...] < leads.json

reads a JSON list of leads, posts them with ``--clients`` concurrent clients (round robin
over the URLs, one connection pool each) and prints one JSON object: ``started`` (epoch
seconds of the first request), ``elapsed`` (seconds until the last answer) and
``answered`` (seconds from ``started`` until each lead's answer, in the leads' order).
Any answer but ``201`` ends it with an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TOKEN_VARIABLE = "BENCH_API_TOKEN"
"""The servers' API token, from the environment (never on a command line)."""


@dataclass(frozen=True)
class Posted:
    started: float
    """Epoch seconds of the first request."""
    elapsed: float
    """Seconds until every lead was answered."""
    answered: list[float]
    """Seconds from ``started`` until each lead's answer, in the order of the leads."""


def post(urls: list[str], leads: list[dict[str, Any]], clients: int, token: str) -> Posted:
    """Post ``leads`` from a child process (see the module's docstring)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--clients", str(clients), *urls],
        input=json.dumps(leads),
        env={**os.environ, TOKEN_VARIABLE: token},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed:\n{done.stderr}")
    answer = json.loads(done.stdout)
    return Posted(answer["started"], answer["elapsed"], answer["answered"])


async def _post_all(
    urls: list[str], leads: list[dict[str, Any]], clients: int, token: str
) -> dict[str, Any]:
    # The pools are made first: making one costs milliseconds that are not the bot's time.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    pools = [
        httpx.AsyncClient(base_url=url, timeout=120, headers=headers, limits=limits) for url in urls
    ]
    bodies = [json.dumps(lead).encode() for lead in leads]
    answered = [0.0] * len(leads)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(len(leads)):
        queue.put_nowait(n)
    started = time.time()

    async def client(k: int) -> None:
        http = pools[k % len(pools)]
        while not queue.empty():
            n = queue.get_nowait()
            response = await http.post(
                "/api/leads", content=bodies[n], headers={"Content-Type": "application/json"}
            )
            if response.status_code != 201:
                raise RuntimeError(f"POST /api/leads: {response.status_code} {response.text}")
            answered[n] = time.time() - started

    try:
        begun = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        elapsed = time.perf_counter() - begun
    finally:
        for pool in pools:
            await pool.aclose()
    return {"started": started, "elapsed": elapsed, "answered": answered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    leads = json.load(sys.stdin)
    print(
        json.dumps(
            asyncio.run(_post_all(args.urls, leads, args.clients, os.environ[TOKEN_VARIABLE]))
        )
    )


if __name__ == "__main__":
    main()
