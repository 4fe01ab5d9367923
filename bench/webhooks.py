"""Webhook deliveries per second from one process to a receiver that takes 10 ms to answer.

    .venv/bin/python bench/webhooks.py                      # SQLite in a temp dir
    .venv/bin/python bench/webhooks.py --leads 5000 --latency-ms 10 --concurrency 32
    .venv/bin/python bench/webhooks.py --database postgresql://postgres@127.0.0.1/leadbot_bench

Run by hand (``make bench-webhooks``), never inside the test suite. The leads go through the
real intake path in one transaction with one ``[[webhooks]]`` endpoint subscribed to every
event, so each lead queues two deliveries (``lead.received``, then ``lead.unmatched``: the
bench has no partners) that must arrive in that order. Then one ``WebhookSender`` drains
the queue — lease, sign, POST, record — and the time of that drain is the figure. The
receiver runs in its own process (an aiohttp server that waits ``--latency-ms`` before it
answers 204) and counts what it got, so the bench also checks nothing was lost.
Target: at least 200 deliveries per second per process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def receiver(port: int, latency: float, ready: Any, count: Any) -> None:
    """The CRM: answers every POST with 204 after ``latency`` seconds (own process)."""
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(latency)
        with count.get_lock():
            count.value += 1
        return web.Response(status=204)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run(args: argparse.Namespace, url: str, database: str) -> tuple[int, float]:
    from bot.actors import Actor
    from bot.config import load_settings
    from bot.crm.sender import WebhookSender
    from bot.intake.importer import import_leads
    from bot.intake.schema import LeadIn
    from bot.models import Channel
    from bot.runtime import Runtime

    settings = load_settings("/nonexistent-bench.toml", {}, must_exist=False)
    data = settings.model_dump()
    data["database"]["url"] = database
    data["products"] = [{"id": "X200", "line": "X-series"}]
    data["webhooks"] = [{"name": "bench", "url": url, "secret_env": "BENCH", "secret": SECRET}]
    data["webhook_sender"].update(concurrency=args.concurrency, batch_size=args.batch)
    settings = type(settings).model_validate(data)
    runtime = Runtime.create(settings)
    leads = [
        LeadIn.model_validate(
            {
                "external_id": f"bench-{i}",
                "company": {"name": f"Bench {i} GmbH", "address": {"country": "DE"}},
                "contact": {"email": f"lead{i}@bench-{i}.example"},
                "interest": {"products": ["X200"], "timeline": "3_months"},
                "consent": {"partner_contact": True},
            }
        )
        for i in range(args.leads)
    ]
    async with runtime.uow() as uow:
        await import_leads(uow, leads, Actor.system(Channel.CLI))
        await uow.commit()
    sender = WebhookSender(runtime)
    queued = await sender.pending()
    started = time.perf_counter()
    await sender.drain()
    took = time.perf_counter() - started
    left = await sender.pending()
    await sender.close()
    await runtime.close()
    assert left == 0, f"{left} deliveries still pending"
    return queued, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temp dir)")
    args = parser.parse_args()

    from bot.migrate import upgrade

    port = free_port()
    ready, count = multiprocessing.Event(), multiprocessing.Value("i", 0)
    child = multiprocessing.Process(
        target=receiver, args=(port, args.latency_ms / 1000, ready, count), daemon=True
    )
    child.start()
    ready.wait(10)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = args.database or f"sqlite:///{tmp}/bench.db"
            upgrade(database)
            queued, took = asyncio.run(run(args, f"http://127.0.0.1:{port}/hook", database))
    finally:
        child.terminate()
    backend = "postgresql" if database.startswith("postgresql") else "sqlite"
    print(
        f"webhooks ({backend}): {queued} deliveries of {args.leads} leads in {took:.2f} s = "
        f"{queued / took:.0f}/s to a receiver answering in {args.latency_ms:g} ms "
        f"(concurrency {args.concurrency}, batch {args.batch}); received {count.value}"
    )
    if count.value < queued:
        sys.exit(f"lost deliveries: {queued - count.value}")


if __name__ == "__main__":
    main()
