"""The outbox sender: deliver queued notices to the platforms, never losing one.

One :class:`~bot.delivery.worker.PlatformWorker` per platform claims due rows in priority
order (:mod:`bot.delivery.lanes`) as far as the rate limits allow (:mod:`bot.delivery.pacing`,
asked before any database work), sends them with bounded concurrency and marks each in its
own short transaction once the platform answered (:mod:`bot.delivery.ledger`). Several
processes split the due rows between them. A claimed row is leased to this process; the
heartbeat here renews the leases, so a process that dies frees its rows within one lease
(``[outbox] lock_seconds``), and the next sender treats them as *in doubt*: on Slack it
looks for the message before posting again (docs/lifecycle.md, "Delivery guarantees").

Failures are retried with exponential backoff and jitter, or after the platform's
``Retry-After`` (:mod:`bot.delivery.retry`). A permanent error (the platform says the
channel does not exist) marks the row ``failed`` and tells staff; it stays in the table
and can be re-queued with ``leadbot outbox retry``. When the staff feed falls behind, one
summary replaces the queue (:mod:`bot.delivery.summary`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.delivery.ledger import Ledger
from bot.delivery.outcomes import Outcomes
from bot.delivery.retry import DELAY_ALERT_ATTEMPTS, backoff
from bot.delivery.transports import Transport
from bot.delivery.worker import PlatformWorker
from bot.leaseholder import holder_name
from bot.models import Platform
from bot.runtime import OUTBOX_TOPIC, Runtime
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working

log = logging.getLogger(__name__)

__all__ = ["DELAY_ALERT_ATTEMPTS", "OutboxSender", "backoff"]

STOP_GRACE_SECONDS = 3.0
"""At shutdown, how long sends already on their way may take to finish."""


class OutboxSender:
    def __init__(self, runtime: Runtime, transports: Mapping[Platform, Transport]) -> None:
        self.runtime = runtime
        self.transports = dict(transports)
        self.holder = holder_name()
        self.ledger = Ledger(runtime, self.holder)
        self.outcomes = Outcomes(runtime, self.holder)
        self.workers = {
            platform: PlatformWorker(runtime, self.ledger, self.outcomes, platform, transport)
            for platform, transport in self.transports.items()
        }

    async def drain(self, max_passes: int = 1000) -> int:
        """Send everything that may go right now (tests, the console, the CLI); how many
        rows left the queue. Rows waiting for a rate limit or a retry stay queued."""
        counts = await asyncio.gather(*(w.drain(max_passes) for w in self.workers.values()))
        return sum(counts)

    async def pending(self) -> int:
        """Rows still queued for this sender's platforms (due now or later)."""
        return await self.ledger.pending(list(self.transports))

    async def flush(self, timeout: float = 30.0) -> int:
        """Deliver everything queued, waiting out rate limits and retries, up to ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        total = 0
        while True:
            total += await self.drain()
            if await self.pending() == 0 or loop.time() >= deadline:
                return total
            await asyncio.sleep(0.05)

    async def run_forever(self) -> None:
        """The sender of ``leadbot serve``: every platform's worker, the wake-ups, the
        heartbeat that keeps this process's leases. Cancel to stop."""
        tasks = [
            asyncio.create_task(worker.run(), name=f"outbox-{platform.value}")
            for platform, worker in self.workers.items()
        ]
        tasks.append(asyncio.create_task(self._relay_wakes(), name="outbox-wakes"))
        tasks.append(asyncio.create_task(self._heartbeat(), name="outbox-heartbeat"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(
                *(w.stop(STOP_GRACE_SECONDS) for w in self.workers.values()),
                return_exceptions=True,
            )

    async def _relay_wakes(self) -> None:
        """New rows were committed (here or, through Redis, in another process)."""
        while True:
            poll = self.runtime.settings.outbox.poll_seconds
            await self.runtime.coordination.wait(OUTBOX_TOPIC, poll)
            for worker in self.workers.values():
                worker.arrived.set()

    async def _heartbeat(self) -> None:
        """Renew the leases of the rows on their way, three times per lease."""
        every = self.runtime.settings.outbox.lock_seconds / 3
        reported = 0
        while True:
            await asyncio.sleep(every)
            done = sum(w.tally.done for w in self.workers.values())
            if done != reported:  # progress of bulk sends, for the operator
                log.info("outbox: %d notice(s) delivered", done - reported)
                reported = done
            try:
                await self.renew_leases()
                working("heartbeat", within=every + PASS_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not await wait_if_behind(exc):
                    failing(exc, "heartbeat", within=every + PASS_SECONDS)
                    log.exception("outbox: renewing the leases failed; sends pause until it works")

    async def renew_leases(self) -> int:
        """One heartbeat: extend the lease of every row this process holds; how many."""
        claims = [c for w in self.workers.values() for c in w.held.values()]
        if not claims:
            return 0
        started = self.runtime.clock.now().timestamp()
        held = await self.ledger.renew([i for c in claims for i in c.ids])
        lease = self.runtime.settings.outbox.lock_seconds
        for claim in claims:
            # Only a lease renewed here is extended. A row another process took meanwhile
            # (this heartbeat failed for longer than a lease) keeps its old end, so a send
            # that has not started yet sees it ran out and leaves it to the new holder.
            if held.issuperset(claim.ids):
                claim.expires = max(claim.expires, started + lease)
        return len(held)
