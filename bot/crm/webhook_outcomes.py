"""What became of a webhook sender's attempts, written to ``webhook_deliveries``.

* **Delivered** (2xx): the row is done. Failed attempts are retried with exponential
  backoff and jitter (``[webhook_sender] min/max_backoff_seconds``) or after the
  receiver's ``Retry-After``; a final one (a 4xx other than 408/429, or the endpoint's
  ``retry_hours`` ran out) marks the row ``failed`` and tells staff in their feed, at most
  once an hour per endpoint.
* **Only by the lease's holder.** Every outcome is written where the row is still pending
  and carries the token of the take that sent it (``leased_by``, see
  :meth:`bot.crm.sender.WebhookSender._take`). A sender that stalled past its lease while
  another took the row over and sent it finds no such row: its late answer — a failure or
  a 2xx — is a *lost lease*, logged at INFO and dropped, with no attempt counted and no
  staff notice; the outcome of the sender that holds (or held) the row stands.

All outcomes of one take are written in one transaction.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update

from bot.config import WebhookEndpoint
from bot.config.webhooks import WebhookSenderSettings
from bot.crm.webhook_post import Outcome
from bot.models import WebhookDelivery, WebhookStatus
from bot.runtime import Runtime

log = logging.getLogger("bot.crm.sender")  # one logger for the sender and its outcomes

D = WebhookDelivery
STAFF_NOTICE_EVERY = timedelta(hours=1)
MIN_RETRY_SECONDS = 1.0


class WebhookOutcomes:
    """Records the outcomes of one sender's takes (``_told``: its staff notices' times)."""

    def __init__(
        self,
        runtime: Runtime,
        endpoints: dict[str, WebhookEndpoint],
        settings: WebhookSenderSettings,
        rng: random.Random,
    ) -> None:
        self.runtime = runtime
        self.endpoints = endpoints
        self.settings = settings
        self.rng = rng
        self._told: dict[str, datetime] = {}

    @staticmethod
    def _held(lease: str) -> tuple[ColumnElement[bool], ...]:
        """The row is still this take's: pending and leased by it (not taken over)."""
        return (D.leased_by == lease, D.status == WebhookStatus.PENDING)

    def _backoff(self, attempts: int) -> float:
        low, high = self.settings.min_backoff_seconds, self.settings.max_backoff_seconds
        delay = min(high, low * 2 ** max(0, attempts - 1))
        return self.rng.uniform(delay / 2, delay)  # jitter: receivers coming back are not stormed

    async def record(self, lease: str, outcomes: list[Outcome]) -> None:
        """Write the outcomes of one take, each only where the row is still the take's."""
        now = self.runtime.clock.now()
        delivered = [o for o in outcomes if o.delivered]
        lost: list[Outcome] = []
        async with self.runtime.uow() as uow:
            session = uow.session
            for code in {o.status_code for o in delivered}:
                sent = [o for o in delivered if o.status_code == code]
                marked = set(
                    await session.scalars(
                        update(D)
                        .where(D.id.in_([o.row.id for o in sent]), *self._held(lease))
                        .values(
                            status=WebhookStatus.DELIVERED,
                            delivered_at=now,
                            attempts=D.attempts + 1,
                            leased_until=None,
                            leased_by=None,
                            last_status_code=code,
                            last_error=None,
                        )
                        .returning(D.id)
                        .execution_options(synchronize_session=False)
                    )
                )
                lost += [o for o in sent if o.row.id not in marked]
            told: dict[str, datetime] = {}
            for outcome in outcomes:
                if not outcome.delivered and not await self._failed_attempt(
                    uow, lease, outcome, now, told
                ):
                    lost.append(outcome)
            await uow.commit()
        # Only a committed notice counts: one rolled back must not mute the next hour's.
        self._told.update(told)
        for outcome in lost:
            row = outcome.row
            log.info(
                "webhook %s: delivery %s (%s): %s; lease lost, the other sender's outcome stands",
                row.endpoint,
                row.id,
                row.event_type,
                f"HTTP {outcome.status_code}" if outcome.delivered else outcome.error or "failed",
            )

    async def _failed_attempt(
        self, uow: Any, lease: str, outcome: Outcome, now: datetime, told: dict[str, datetime]
    ) -> bool:
        """Record a failed attempt; a delivery given up tells staff (at most once an hour
        per endpoint: ``told`` holds the notices of this transaction). False when the row
        is no longer the take's ``lease``: nothing is recorded, nobody told."""
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
            "leased_by": None,
            "last_status_code": outcome.status_code,
            "last_error": error,
        }
        if final:
            values["status"] = WebhookStatus.FAILED
        else:
            values["next_attempt_at"] = next_at
        recorded = await uow.session.scalar(
            update(D)
            .where(D.id == row.id, *self._held(lease))
            .values(**values)
            .returning(D.id)
            .execution_options(synchronize_session=False)
        )
        if recorded is None:
            return False
        if final:
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
            log.info(
                "webhook %s: delivery %s: %s; retry in %.1fs", row.endpoint, row.id, error, delay
            )
        return True
