"""The webhook sender: drains ``webhook_deliveries`` to the configured endpoints.

* **At least once.** A row leaves the queue only when the receiver answered 2xx (or for
  good, see below); a crash between sending and recording means it is sent again —
  receivers de-duplicate by ``webhook-id``, which stays the same on every retry.
* **In order per lead.** A row is taken only when no earlier row of the same lead for the
  same endpoint is still pending — being sent, or waiting for its retry.
* **Retries.** 408, 429, 5xx, redirects and network errors are retried with exponential
  backoff and jitter (``[webhook_sender] min/max_backoff_seconds``) or after the
  receiver's ``Retry-After``; other 4xx are final (``failed``), as is a row still failing
  ``retry_hours`` after it was queued. Failed rows stay for ``leadbot webhooks status``
  and ``replay``; staff are told in their feed (at most once an hour per endpoint).
* **Several processes.** Rows are leased with a conditional UPDATE (``leased_until``), so
  processes share the queue without sending a row twice at once; a process that dies
  leaves its lease to expire.

Many leads are sent at once (``concurrency``); each pass takes a batch, sends it side by
side and records the outcomes in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from bot.clock import Clock, SystemClock
from bot.config import WebhookEndpoint
from bot.crm.signing import check_webhooks
from bot.crm.webhook_post import Outcome, Taken, WebhookPoster
from bot.models import WebhookDelivery, WebhookStatus
from bot.runtime import WEBHOOK_TOPIC, Runtime
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working

log = logging.getLogger(__name__)

D = WebhookDelivery
STAFF_NOTICE_EVERY = timedelta(hours=1)
MIN_RETRY_SECONDS = 1.0


class WebhookSender:
    """One process's sender; ``run_forever`` runs inside ``leadbot serve``."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        signing_clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        check_webhooks(runtime.settings)  # every problem at once, before anything starts
        self.runtime = runtime
        self.settings = runtime.settings.webhook_sender
        self.endpoints: dict[str, WebhookEndpoint] = {
            hook.name: hook for hook in runtime.settings.webhooks if hook.enabled
        }
        self.poster = WebhookPoster(
            self.endpoints, signing_clock or SystemClock(), self.settings.concurrency
        )
        self.rng = rng or random.Random()
        self._told: dict[str, datetime] = {}

    async def close(self) -> None:
        await self.poster.close()

    async def _take(self) -> list[Taken]:
        """Lease the next due rows: the first pending row of each lead and endpoint."""
        if not self.endpoints:
            return []
        now = self.runtime.clock.now()
        earlier = aliased(WebhookDelivery)
        # The head of each lead's queue for an endpoint: its oldest pending row. A scalar
        # subquery (not NOT EXISTS) so PostgreSQL always probes the index per row; with a
        # young table's statistics it would otherwise compare every pair of rows.
        head = (
            select(func.min(earlier.id))
            .where(
                earlier.endpoint == D.endpoint,
                earlier.lead_id == D.lead_id,
                earlier.status == WebhookStatus.PENDING,
            )
            .scalar_subquery()
        )
        async with self.runtime.uow() as uow:
            ids = (
                await uow.session.scalars(
                    select(D.id)
                    .where(
                        D.status == WebhookStatus.PENDING,
                        D.endpoint.in_(list(self.endpoints)),
                        D.next_attempt_at <= now,
                        or_(D.leased_until.is_(None), D.leased_until < now),
                        D.id == head,
                    )
                    .order_by(D.id)
                    .limit(self.settings.batch_size)
                )
            ).all()
            if not ids:
                return []
            rows = (
                await uow.session.execute(
                    update(D)
                    .where(
                        D.id.in_(ids),
                        D.status == WebhookStatus.PENDING,
                        or_(D.leased_until.is_(None), D.leased_until < now),
                    )
                    .values(leased_until=now + timedelta(seconds=self.settings.lease_seconds))
                    .returning(
                        D.id,
                        D.endpoint,
                        D.event_type,
                        D.lead_id,
                        D.payload,
                        D.attempts,
                        D.queued_at,
                        D.created_at,
                    )
                    .execution_options(synchronize_session=False)
                )
            ).all()
            await uow.commit()
        return sorted((Taken(*row) for row in rows), key=lambda t: t.id)

    def _backoff(self, attempts: int) -> float:
        low, high = self.settings.min_backoff_seconds, self.settings.max_backoff_seconds
        delay = min(high, low * 2 ** max(0, attempts - 1))
        return self.rng.uniform(delay / 2, delay)  # jitter: receivers coming back are not stormed

    async def _record(self, outcomes: list[Outcome]) -> None:
        now = self.runtime.clock.now()
        delivered = [o for o in outcomes if o.delivered]
        async with self.runtime.uow() as uow:
            session = uow.session
            for code in {o.status_code for o in delivered}:
                await session.execute(
                    update(D)
                    .where(D.id.in_([o.row.id for o in delivered if o.status_code == code]))
                    .values(
                        status=WebhookStatus.DELIVERED,
                        delivered_at=now,
                        attempts=D.attempts + 1,
                        leased_until=None,
                        last_status_code=code,
                        last_error=None,
                    )
                    .execution_options(synchronize_session=False)
                )
            told: dict[str, datetime] = {}
            for outcome in outcomes:
                if not outcome.delivered:
                    await self._failed_attempt(uow, outcome, now, told)
            await uow.commit()
        # Only a committed notice counts: one rolled back must not mute the next hour's.
        self._told.update(told)

    async def _failed_attempt(
        self, uow: Any, outcome: Outcome, now: datetime, told: dict[str, datetime]
    ) -> None:
        """Record a failed attempt; a delivery given up tells staff (at most once an hour
        per endpoint: ``told`` holds the notices of this transaction)."""
        row, hook = outcome.row, self.endpoints[outcome.row.endpoint]
        attempts = row.attempts + 1
        if outcome.wait is not None:
            # At least a second: "Retry-After: 0" in a loop would hammer the receiver.
            delay = min(max(outcome.wait, MIN_RETRY_SECONDS), self.settings.max_retry_after_seconds)
        else:
            delay = self._backoff(attempts)
        next_at = now + timedelta(seconds=delay)
        final = outcome.permanent or next_at > row.queued_at + timedelta(hours=hook.retry_hours)
        error = outcome.error or "failed"
        if final and not outcome.permanent:
            error = f"gave up after {attempts} attempts in {hook.retry_hours:g} h: {error}"
        values: dict[str, Any] = {
            "attempts": D.attempts + 1,
            "leased_until": None,
            "last_status_code": outcome.status_code,
            "last_error": error,
        }
        if final:
            values["status"] = WebhookStatus.FAILED
            log.warning(
                "webhook %s: delivery %s (%s) failed: %s",
                row.endpoint,
                row.id,
                row.event_type,
                error,
            )
            last = told.get(row.endpoint) or self._told.get(row.endpoint)
            if last is None or now - last >= STAFF_NOTICE_EVERY:
                # Once an hour per endpoint: a wrong URL fails every event, not one.
                told[row.endpoint] = now
                await uow.outbox.staff(
                    "webhook_failed",
                    lead_id=row.lead_id,
                    endpoint=row.endpoint,
                    what=row.event_type,
                    error=error,
                )
        else:
            values["next_attempt_at"] = next_at
            log.info(
                "webhook %s: delivery %s: %s; retry in %.1fs", row.endpoint, row.id, error, delay
            )
        await uow.session.execute(
            update(D)
            .where(D.id == row.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def drain_once(self) -> int:
        """One batch: lease, send side by side, record; how many rows were taken."""
        rows = await self._take()
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self.poster.attempt(row) for row in rows))
        await self._record(list(outcomes))
        return len(rows)

    async def drain(self, max_passes: int = 100_000) -> int:
        """Send until nothing is due right now (tests, the bench, ``serve``'s loop)."""
        total = 0
        for _ in range(max_passes):
            taken = await self.drain_once()
            working(within=self.settings.poll_seconds + PASS_SECONDS)  # /healthz: a pass ended
            total += taken
            if taken == 0:
                break
        return total

    async def pending(self) -> int:
        async with self.runtime.uow() as uow:
            count = await uow.session.scalar(
                select(func.count()).select_from(D).where(D.status == WebhookStatus.PENDING)
            )
        return int(count or 0)

    async def run_forever(self) -> None:
        poll = self.settings.poll_seconds
        try:
            while True:
                try:
                    taken = await self.drain()
                    if taken:
                        log.info("webhooks: %d attempt(s) made", taken)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not await wait_if_behind(exc):
                        failing(exc, within=poll + PASS_SECONDS)  # /healthz: failing
                        log.exception("webhook pass failed; retrying")
                await self.runtime.coordination.wait(WEBHOOK_TOPIC, poll)
        finally:
            await self.close()
