"""One platform's share of the sender: claim what may go now, send it, record each outcome.

Every platform has its own worker, so platforms never wait for each other: Slack's many
channels are not held to Telegram's global pace, and an SMTP server that hangs holds up
only e-mail. A worker keeps up to ``[outbox] max_in_flight`` messages on their way; each
message is marked in its own short transaction as soon as the platform answered (see
:mod:`bot.delivery.ledger`), and one address never has two messages on their way at once,
so messages to one chat keep their order. Reading the claimed rows' views is
:mod:`bot.delivery.claimed_views`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from bot.delivery.claimed_views import UNREADABLE, claimed_views
from bot.delivery.ledger import Claim, Ledger
from bot.delivery.notices import Delivery
from bot.delivery.outcomes import Outcomes
from bot.delivery.pacing import Pacer
from bot.delivery.retry import after_hint, backoff
from bot.delivery.transports import DeliveryError, Transport
from bot.logsafe import without_addresses
from bot.models import Platform
from bot.runtime import Runtime
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working

log = logging.getLogger("bot.delivery.sender")

MIN_PAUSE_SECONDS = 0.2
"""While the platform's shared bucket is empty, wait at least this long: the next claim
then takes several messages in one transaction instead of one per token."""
MAX_EXCLUDED = 10_000
GATHER_SECONDS = 0.01
"""After a wake-up, let a few more sends finish before claiming again (one claim for all)."""


@dataclass
class Tally:
    done: int = 0
    """Rows that left the queue (sent, skipped as obsolete, or failed for good)."""


class PlatformWorker:
    def __init__(
        self,
        runtime: Runtime,
        ledger: Ledger,
        outcomes: Outcomes,
        platform: Platform,
        transport: Transport,
    ) -> None:
        self.runtime = runtime
        self.ledger = ledger
        self.outcomes = outcomes
        self.platform = platform
        self.transport = transport
        self.settings = runtime.settings.outbox
        self.pacer = Pacer(transport, runtime.coordination, runtime.clock)
        self.held: dict[int, Claim] = {}  # head row id -> claim, while on its way
        self.busy: set[str] = set()  # addresses with a message on its way
        self.arrived = asyncio.Event()  # new rows were queued
        self.finished = asyncio.Event()  # a send finished (a slot and an address are free)
        self._tasks: set[asyncio.Task[None]] = set()
        self.tally = Tally()

    # --- one pass ------------------------------------------------------------------------

    async def claim_once(self) -> list[asyncio.Task[None]]:
        """Claim what may be sent now and start sending it; the started sends."""
        free = self.settings.max_in_flight - len(self.held)
        if free <= 0 or self.pacer.paused_for() > 0:
            return []
        # Addresses on their way or waiting for their bucket are left out of the read (capped
        # well below the databases' limit on bound parameters; beyond it the pacer skips
        # them in memory).
        waiting = self.pacer.waiting_addresses()[:MAX_EXCLUDED]
        exclude = sorted(self.busy | set(waiting))
        limit = min(free, self.settings.batch_size)
        claims = await self.ledger.claim(self.platform, limit, exclude, self.pacer.admit)
        if not claims:
            return []
        for claim in claims:
            self.held[claim.row.id] = claim
            self.busy.add(claim.row.address)
        try:
            resolved = await claimed_views(self.runtime, self.platform, claims)
        except BaseException as exc:
            # The database went away between the claim and the read (or the task was
            # cancelled): nothing was sent. Letting go stops the heartbeat renewing these
            # leases and frees the addresses; giving the rows back (when the database
            # answers again) lets the next pass take them at once, else their lease ends.
            for claim in claims:
                self._let_go(claim)
            if isinstance(exc, Exception):
                await self._give_back([i for claim in claims for i in claim.ids])
            raise
        started: list[asyncio.Task[None]] = []
        obsolete: list[Claim] = []
        for claim, delivery in resolved:
            if delivery is UNREADABLE:
                started.append(self._spawn(self._unreadable(claim)))
            elif delivery is None:
                obsolete.append(claim)
            else:
                assert isinstance(delivery, Delivery)
                started.append(self._spawn(self._send(claim, delivery)))
        if obsolete:
            try:
                await self.outcomes.skipped([i for c in obsolete for i in c.ids])
                self.tally.done += sum(len(c.ids) for c in obsolete)
            finally:
                for claim in obsolete:
                    self._let_go(claim)
        return started

    async def _give_back(self, ids: list[int]) -> None:
        """Release rows claimed but not sent after a failed read: one slow or cancelled
        statement must not hold those messages back for a whole lease. Best effort — a
        database still not answering leaves them to their lease."""
        try:
            await self.ledger.release(ids)
        except Exception as exc:
            log.info(
                "outbox %s: %d claimed rows wait for their lease (%s)",
                self.platform.value,
                len(ids),
                type(exc).__name__,
            )

    def _spawn(self, job: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _unreadable(self, claim: Claim) -> None:
        """A row that could not be resolved (a bug or a damaged row): retry with backoff."""
        try:
            await self.outcomes.retry(
                claim,
                error="could not be read for sending",
                retry_in=backoff(claim.row.attempts + 1, self.settings.max_backoff_seconds),
                count_attempt=True,
                in_doubt=claim.row.in_doubt,
            )
        except Exception:
            log.exception("outbox %s: recording the outcome failed", claim.row.id)
        finally:
            self._let_go(claim)

    # --- one message -----------------------------------------------------------------------

    async def _send(self, claim: Claim, delivery: Delivery) -> None:
        row = claim.row
        try:
            margin = self.settings.lock_seconds / 3
            if self.runtime.clock.now().timestamp() > claim.expires - margin:
                # The heartbeat could not renew the lease (a stalled database): another
                # process may take the row any moment, so this one must not send it.
                log.warning("outbox %s: lease ending, left to the next sender", row.id)
                return
            try:
                ref = await self.transport.deliver(delivery)
            except DeliveryError as exc:
                await self._failed(claim, exc)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug or a network error: retry with backoff
                retry = backoff(row.attempts + 1, self.settings.max_backoff_seconds)
                log.exception("outbox %s to %s failed; retry in %.1fs", row.id, row.platform, retry)
                await self.outcomes.retry(
                    claim,
                    error=f"{type(exc).__name__}: {exc}",
                    retry_in=retry,
                    count_attempt=True,
                    in_doubt=True,
                )
                return
            await self.outcomes.sent(claim, ref, delivery)
            self.tally.done += len(claim.ids)
        except asyncio.CancelledError:
            raise
        except Exception:  # recording the outcome failed: the lease runs out, the row is retried
            log.exception("outbox %s: recording the outcome failed", row.id)
        finally:
            self._let_go(claim)

    async def _failed(self, claim: Claim, exc: DeliveryError) -> None:
        row = claim.row
        if exc.permanent:
            log.warning(
                "outbox %s to %s failed for good: %s",
                row.id,
                row.platform,
                without_addresses(str(exc)),
            )
            await self.outcomes.failed(claim, str(exc))
            self.tally.done += 1
            return
        if exc.retry_after is not None:
            retry = after_hint(exc.retry_after)
        else:
            retry = backoff(row.attempts + 1, self.settings.max_backoff_seconds)
        shown = without_addresses(str(exc))
        log.info("outbox %s to %s: %s; retry in %.1fs", row.id, row.platform, shown, retry)
        in_doubt = row.in_doubt if exc.maybe_sent is None else exc.maybe_sent
        await self.outcomes.retry(
            claim, error=str(exc), retry_in=retry, count_attempt=True, in_doubt=in_doubt
        )

    def _let_go(self, claim: Claim) -> None:
        self.held.pop(claim.row.id, None)
        self.busy.discard(claim.row.address)
        self.finished.set()

    # --- loops -----------------------------------------------------------------------------

    async def drain(self, max_passes: int) -> int:
        """Pass after pass until nothing more can go now; rows that left the queue."""
        before = self.tally.done
        for _ in range(max_passes):
            done = self.tally.done
            started = await self.claim_once()
            if started:
                await asyncio.gather(*started, return_exceptions=True)
            await self._settle()
            if self.tally.done == done and not started:
                break
        return self.tally.done - before

    async def _settle(self) -> None:
        """Wait for the small follow-up jobs (retries of unreadable rows) of a pass."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run(self) -> None:
        """Claim and send until cancelled; woken by new rows and finished sends."""
        poll = self.settings.poll_seconds
        while True:
            self.finished.clear()
            self.arrived.clear()
            try:
                await self.claim_once()
                working(self.platform.value, within=self._next_pass_within(poll))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if await wait_if_behind(exc):
                    continue  # the schema was behind; migrated now: nothing failed
                failing(exc, self.platform.value, within=self._next_pass_within(poll))
                log.exception("outbox pass for %s failed; retrying", self.platform.value)
                await asyncio.sleep(min(poll, 1.0))
            await self._wait(poll)

    def _next_pass_within(self, poll: float) -> float:
        """For ``/healthz``: the next pass ends within the wait before it (a rate limit's
        pause at most) and a pass's own bounded time, unless this worker is stuck."""
        return max(poll, self.pacer.paused_for()) + PASS_SECONDS

    async def _wait(self, poll: float) -> None:
        paused = self.pacer.paused_for()
        if paused > 0:
            # Only new rows end this early: a finished send adds no token.
            await _first(self.arrived, timeout=max(paused, MIN_PAUSE_SECONDS))
        else:
            timeout = poll
            refill = self.pacer.next_refill()
            if refill is not None:
                timeout = min(timeout, max(refill, GATHER_SECONDS))
            await _first(self.arrived, self.finished, timeout=timeout)
        await asyncio.sleep(GATHER_SECONDS)

    def claimed_ids(self) -> list[int]:
        return [i for claim in self.held.values() for i in claim.ids]

    async def stop(self, grace: float) -> None:
        """Let the sends on their way finish for up to ``grace`` seconds, then cancel them
        (their rows free up when their lease ends, in doubt)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def _first(*events: asyncio.Event, timeout: float) -> None:
    """Return when any of ``events`` is set, or after ``timeout`` seconds."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
