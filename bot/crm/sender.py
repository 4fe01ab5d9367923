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
  Recording them: :mod:`bot.crm.webhook_outcomes`.
* **Several processes.** Rows are leased with a conditional UPDATE (``leased_until``), so
  processes share the queue without sending a row twice at once; a process that dies
  leaves its lease to expire.
* **Outcomes only by the holder.** Each take writes a token of its own (``leased_by``:
  this process's :func:`~bot.leaseholder.holder_name` and the take's number), and every
  outcome is recorded only where the row is still pending and carries it. A sender that
  stalled past its lease (a slow receiver, a frozen process) while another took the row
  over finds it gone: its late answer — failure or 2xx — is a lost lease, logged and
  dropped (no attempt counted, no staff notice); the new holder's outcome stands.

Many leads are sent at once (``concurrency``); each pass takes a batch, sends it side by
side and records the outcomes in one transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from bot.clock import Clock, SystemClock
from bot.config import WebhookEndpoint
from bot.crm.signing import check_webhooks
from bot.crm.webhook_outcomes import WebhookOutcomes
from bot.crm.webhook_post import Taken, WebhookPoster
from bot.leaseholder import holder_name
from bot.models import WebhookDelivery, WebhookStatus
from bot.runtime import WEBHOOK_TOPIC, Runtime
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working

log = logging.getLogger(__name__)

D = WebhookDelivery


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
        self.outcomes = WebhookOutcomes(
            runtime, self.endpoints, self.settings, rng or random.Random()
        )
        self.holder = holder_name()
        self._takes = itertools.count(1)

    async def close(self) -> None:
        await self.poster.close()

    async def _take(self) -> tuple[str, list[Taken]]:
        """Lease the next due rows: the first pending row of each lead and endpoint; the
        lease's token, new for every take (also within this process: a pass that stalled
        must not record over this process's next one)."""
        lease = f"{self.holder}:{next(self._takes)}"
        if not self.endpoints:
            return lease, []
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
                return lease, []
            rows = (
                await uow.session.execute(
                    update(D)
                    .where(
                        D.id.in_(ids),
                        D.status == WebhookStatus.PENDING,
                        or_(D.leased_until.is_(None), D.leased_until < now),
                    )
                    .values(
                        leased_until=now + timedelta(seconds=self.settings.lease_seconds),
                        leased_by=lease,
                    )
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
        return lease, sorted((Taken(*row) for row in rows), key=lambda t: t.id)

    async def drain_once(self) -> int:
        """One batch: lease, send side by side, record; how many rows were taken."""
        lease, rows = await self._take()
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self.poster.attempt(row) for row in rows))
        await self.outcomes.record(lease, list(outcomes))
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
