"""The outbox sender: deliver queued notices to the platforms, never losing one.

Rows are taken with a short lock (a conditional UPDATE), so several processes can drain
the same outbox. For each row the notice is resolved against the current database state,
rate limits are respected per platform address (a row whose bucket is empty just waits,
without blocking other addresses), and failures are retried with exponential backoff —
or after the platform's ``Retry-After``. A permanent error (the platform says the channel
does not exist) marks the row ``failed`` and tells staff; it stays in the table and can be
re-queued with ``leadbot outbox retry``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from bot.delivery.notices import Delivery, LeadCardView, MessageRef, NoticeKind, TeaserView
from bot.delivery.outbox import rep_at_address
from bot.delivery.resolve import resolve
from bot.delivery.transports import DeliveryError, Transport
from bot.models import (
    ChatMessage,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    Platform,
)
from bot.runtime import OUTBOX_TOPIC, Runtime

log = logging.getLogger(__name__)

BASE_BACKOFF_SECONDS = 2.0
DELAY_ALERT_ATTEMPTS = 6
"""After this many failed attempts (about two minutes of backoff) staff are told once."""


def backoff(attempts: int, cap: float) -> float:
    return min(cap, BASE_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


class OutboxSender:
    def __init__(self, runtime: Runtime, transports: Mapping[Platform, Transport]) -> None:
        self.runtime = runtime
        self.transports = dict(transports)

    async def _due_rows(self) -> list[OutboxMessage]:
        """Due rows, oldest first; a row waits while an older row to its address waits.

        Messages to one chat keep their order (a lead card before its content pack, a
        teaser before its "taken" edit) even when the older one is retried after a backoff
        or is being sent by another process.
        """
        now = self.runtime.clock.now()
        platforms = [p.value for p in self.transports]
        earlier = aliased(OutboxMessage)
        waiting_before = (
            select(earlier.id)
            .where(
                earlier.platform == OutboxMessage.platform,
                earlier.address == OutboxMessage.address,
                earlier.status == OutboxStatus.PENDING,
                earlier.id < OutboxMessage.id,
                or_(
                    earlier.next_attempt_at > now,
                    and_(earlier.locked_until.is_not(None), earlier.locked_until >= now),
                ),
            )
            .exists()
        )
        async with self.runtime.uow() as uow:
            rows = await uow.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.platform.in_(platforms),
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                    ~waiting_before,
                )
                .order_by(OutboxMessage.id)
                .limit(self.runtime.settings.outbox.batch_size)
            )
            return list(rows.all())

    async def _lock(self, row_id: int) -> bool:
        now = self.runtime.clock.now()
        lock = timedelta(seconds=self.runtime.settings.outbox.lock_seconds)
        async with self.runtime.uow() as uow:
            taken = await uow.session.scalar(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                )
                .values(locked_until=now + lock)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            await uow.commit()
            return taken is not None

    async def _finish(
        self,
        row_id: int,
        status: OutboxStatus,
        *,
        error: str | None = None,
        retry_in: float | None = None,
        count_attempt: bool = True,
        ref: MessageRef | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        now = self.runtime.clock.now()
        async with self.runtime.uow() as uow:
            row = await uow.session.get(OutboxMessage, row_id)
            assert row is not None
            row.locked_until = None
            if count_attempt:
                row.attempts += 1
            row.last_error = error
            if status is OutboxStatus.PENDING:
                row.next_attempt_at = now + timedelta(seconds=retry_in or 0)
            else:
                row.status = status
                row.sent_at = now if status is OutboxStatus.SENT else None
            if ref is not None and delivery is not None:
                await self._remember(uow.session, row, ref, delivery)
            if row.kind not in (NoticeKind.STAFF.value, NoticeKind.DIGEST.value):
                if status is OutboxStatus.FAILED:
                    await uow.outbox.staff(
                        "delivery_failed",
                        lead_id=row.lead_id,
                        platform=row.platform,
                        error=error or "",
                    )
                elif count_attempt and row.attempts == DELAY_ALERT_ATTEMPTS:
                    # Still retrying (e.g. a rep who never opened the chat with the bot):
                    # staff hear of it once, while the notice keeps waiting.
                    await uow.outbox.staff(
                        "delivery_delayed",
                        lead_id=row.lead_id,
                        platform=row.platform,
                        error=error or "",
                    )
            await uow.commit()

    async def _remember(
        self, session, row: OutboxMessage, ref: MessageRef, delivery: Delivery
    ) -> None:
        view = delivery.view
        if delivery.edit is not None and ref == delivery.edit:
            return  # edited in place: the stored reference is still right
        if isinstance(view, TeaserView):
            session.add(
                ChatMessage(
                    platform=row.platform,
                    chat_id=ref.chat_id,
                    message_id=ref.message_id,
                    kind=MessageKind.TEASER,
                    lead_id=view.lead_id,
                    offer_id=view.offer_id,
                )
            )
        elif isinstance(view, LeadCardView):
            rep = await rep_at_address(session, Platform(row.platform), row.address)
            rep_id = rep.id if rep else None
            session.add(
                ChatMessage(
                    platform=row.platform,
                    chat_id=row.address,
                    message_id=ref.message_id,
                    kind=MessageKind.LEAD_CARD,
                    lead_id=view.lead_id,
                    rep_id=rep_id,
                )
            )

    async def _wait_for_rate(self, transport: Transport, address: str) -> float:
        wait = 0.0
        for limit in transport.rate_limits(address):
            wait = max(
                wait,
                await self.runtime.coordination.take_token(
                    limit.bucket, limit.per_second, limit.burst
                ),
            )
        return wait

    async def _send_one(self, row: OutboxMessage) -> bool:
        """Try to deliver one row; True if it left the queue (sent, skipped or failed)."""
        transport = self.transports[Platform(row.platform)]
        if not await self._lock(row.id):
            return False
        async with self.runtime.uow() as uow:
            fresh = await uow.session.get(OutboxMessage, row.id)
            assert fresh is not None
            resolved = await resolve(uow.session, fresh, self.runtime.settings)
        if resolved is None:
            await self._finish(row.id, OutboxStatus.SKIPPED, error="obsolete", count_attempt=False)
            return True
        view, edit = resolved
        wait = await self._wait_for_rate(transport, row.address)
        if wait > 0:
            await self._finish(row.id, OutboxStatus.PENDING, retry_in=wait, count_attempt=False)
            return False
        delivery = Delivery(row.id, Platform(row.platform), row.address, view, edit)
        try:
            ref = await transport.deliver(delivery)
        except DeliveryError as exc:
            if exc.permanent:
                log.warning("outbox %s to %s failed for good: %s", row.id, row.platform, exc)
                await self._finish(row.id, OutboxStatus.FAILED, error=str(exc))
                return True
            retry = exc.retry_after
            if retry is None:
                retry = backoff(row.attempts + 1, self.runtime.settings.outbox.max_backoff_seconds)
            log.info("outbox %s to %s: %s; retry in %.1fs", row.id, row.platform, exc, retry)
            await self._finish(row.id, OutboxStatus.PENDING, error=str(exc), retry_in=retry)
            return False
        except Exception as exc:  # a bug or a network error: retry with backoff, keep the row
            retry = backoff(row.attempts + 1, self.runtime.settings.outbox.max_backoff_seconds)
            log.exception("outbox %s to %s failed; retry in %.1fs", row.id, row.platform, retry)
            await self._finish(
                row.id, OutboxStatus.PENDING, error=f"{type(exc).__name__}: {exc}", retry_in=retry
            )
            return False
        await self._finish(row.id, OutboxStatus.SENT, ref=ref, delivery=delivery)
        return True

    async def _send_address(self, rows: list[OutboxMessage]) -> int:
        done = 0
        for row in rows:
            if not await self._send_one(row):
                break  # this address is waiting (rate limit, retry): later rows wait too
            done += 1
        return done

    async def drain_once(self) -> int:
        """One pass over the due rows; returns how many left the queue."""
        rows = await self._due_rows()
        by_address: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_address[(row.platform, row.address)].append(row)
        results = await asyncio.gather(*(self._send_address(r) for r in by_address.values()))
        return sum(results)

    async def drain(self, max_passes: int = 1000) -> int:
        """Drain until nothing is due right now (tests, the console, the CLI)."""
        total = 0
        for _ in range(max_passes):
            sent = await self.drain_once()
            total += sent
            if sent == 0:
                break
        return total

    async def pending(self) -> int:
        """Rows still queued for this sender's platforms (due now or later)."""
        async with self.runtime.uow() as uow:
            rows = await uow.session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.platform.in_([p.value for p in self.transports]),
                )
            )
            return len(rows.all())

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
        poll = self.runtime.settings.outbox.poll_seconds
        while True:
            try:
                sent = await self.drain()
                if sent:
                    # Progress of bulk sends (a wide wave, a storm of edits) for the operator.
                    log.info(
                        "outbox: %d notice(s) delivered, %d waiting", sent, await self.pending()
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed; retrying")
            await self.runtime.coordination.wait(OUTBOX_TOPIC, poll)
