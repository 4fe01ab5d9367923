"""The outbox never loses a notice: retries with backoff, Retry-After, permanent failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery.notices import Delivery, MessageRef, MessageView, TeaserView
from bot.delivery.sender import DELAY_ALERT_ATTEMPTS, OutboxSender
from bot.delivery.transports import DeliveryError, RateLimit
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime
from tests.support.cli import config_file, leadbot_process
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.recording import RecordingTransport


class FlakyTransport(RecordingTransport):
    """Fails the first ``failures`` deliveries in the given way, then works."""

    def __init__(self, failures: int, error: DeliveryError | Exception) -> None:
        super().__init__(Platform.CONSOLE)
        self.failures = failures
        self.error = error
        self.attempts = 0

    only: str | None = None  # fail only deliveries to this address

    async def deliver(self, delivery: Delivery) -> MessageRef | None:
        if self.only is None or delivery.address == self.only:
            self.attempts += 1
            if self.attempts <= self.failures:
                raise self.error
        return await super().deliver(delivery)


class LimitedTransport(RecordingTransport):
    def rate_limits(self, address: str, *, edit: bool = False) -> Sequence[RateLimit]:
        return (RateLimit(f"test:{address}", per_second=2.0, burst=1),)


async def _one_lead(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_rep(uow, "P1", "anna@p1.example")
        await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        await uow.commit()


async def _rows(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.uow() as uow:
        return list(
            (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        )


async def test_failed_delivery_is_retried_with_backoff_until_it_works(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _one_lead(runtime)
    transport = FlakyTransport(3, ConnectionError("network down"))
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.drain()
    first = (await _rows(runtime))[0]
    assert first.status is OutboxStatus.PENDING and first.attempts == 1
    assert "network down" in (first.last_error or "")
    # Backoff with jitter: the first retry comes after 1-2 s (half of the 2 s step is random).
    assert 1.0 <= (first.next_attempt_at - clock.now()).total_seconds() <= 2.0
    for _ in range(5):
        clock.advance(seconds=900)
        await sender.drain()
    rows = await _rows(runtime)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert len(transport.deliveries) == len(rows)  # every notice arrived, none twice


async def test_staff_hear_once_of_a_notice_that_keeps_failing(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _one_lead(runtime)
    transport = FlakyTransport(DELAY_ALERT_ATTEMPTS + 2, DeliveryError("403 Forbidden"))
    transport.only = "partner:P1"  # the staff feed itself works
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    for _ in range(DELAY_ALERT_ATTEMPTS + 4):
        await sender.drain()
        clock.advance(seconds=900)
    staff = [d.view for d in transport.to("staff") if isinstance(d.view, MessageView)]
    delayed = [v for v in staff if v.event == "delivery_delayed"]
    assert len(delayed) == 1 and delayed[0].params["error"] == "403 Forbidden"
    assert {r.status for r in await _rows(runtime)} == {OutboxStatus.SENT}


async def test_retry_after_from_the_platform_is_respected(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _one_lead(runtime)
    transport = FlakyTransport(1, DeliveryError("429 Too Many Requests", retry_after=37))
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.drain()
    first = (await _rows(runtime))[0]
    assert first.status is OutboxStatus.PENDING
    # Never sooner than the platform asked; up to a tenth later, so processes spread out.
    assert 37 <= (first.next_attempt_at - clock.now()).total_seconds() <= 37 * 1.1
    clock.advance(seconds=36)
    assert await sender.drain() == 0
    clock.advance(seconds=5)
    await sender.drain()
    assert {r.status for r in await _rows(runtime)} == {OutboxStatus.SENT}


async def test_permanent_failure_is_kept_and_staff_are_told(
    make_settings, database_url: str, tmp_path: Path
) -> None:
    settings: Settings = make_settings(products=[{"id": "X200", "line": "X-series"}])
    runtime = Runtime.create(settings)  # system clock: the CLI below runs in another process
    await _one_lead(runtime)
    broken = RecordingTransport()

    async def refuse(delivery: Delivery) -> MessageRef | None:
        if isinstance(delivery.view, TeaserView):
            raise DeliveryError("channel_not_found", permanent=True)
        return await RecordingTransport.deliver(broken, delivery)

    broken.deliver = refuse  # type: ignore[method-assign]
    await OutboxSender(runtime, {Platform.CONSOLE: broken}).flush(timeout=5)
    rows = await _rows(runtime)
    failed = [r for r in rows if r.status is OutboxStatus.FAILED]
    assert len(failed) == 1 and failed[0].last_error == "channel_not_found"
    staff = [d.view.event for d in broken.to("staff") if isinstance(d.view, MessageView)]
    assert "delivery_failed" in staff

    config = config_file(tmp_path, database_url)
    status = leadbot_process("outbox", "status", config=config)
    assert (
        status.returncode == 0
        and "failed #" in status.stdout
        and "channel_not_found" in status.stdout
    )
    retried = leadbot_process("outbox", "retry", config=config)
    assert "1 failed notice(s) queued again." in retried.stdout
    working = RecordingTransport()
    await OutboxSender(runtime, {Platform.CONSOLE: working}).flush(timeout=5)
    assert [d.address for d in working.deliveries if isinstance(d.view, TeaserView)] == [
        "partner:P1"
    ]
    await runtime.close()


async def test_rate_limited_address_waits_without_dropping(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _one_lead(runtime)
    transport = LimitedTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.drain()
    staff_rows = [r for r in await _rows(runtime) if r.address == "staff"]
    assert sum(r.status is OutboxStatus.SENT for r in staff_rows) == 1  # burst of one
    waiting = [r for r in staff_rows if r.status is OutboxStatus.PENDING]
    assert waiting and all(r.attempts == 0 for r in waiting)  # waiting is not a failure
    for _ in range(100):
        if {r.status for r in await _rows(runtime)} == {OutboxStatus.SENT}:
            break
        clock.advance(seconds=1)  # the bucket refills, and the waiting rows become due again
        await sender.drain()
    assert {r.status for r in await _rows(runtime)} == {OutboxStatus.SENT}
    assert len(transport.deliveries) == len(await _rows(runtime))


async def test_status_shows_leases_notices_in_doubt_and_the_oldest_waiting(
    make_settings, database_url: str, tmp_path: Path
) -> None:
    """Every state a lease and a crash leave, as set up in the database (the killed
    ``serve`` itself: tests/test_status_after_crash.py)."""
    settings: Settings = make_settings(products=[{"id": "X200", "line": "X-series"}])
    runtime = Runtime.create(settings)  # system clock: the CLI below runs in another process
    await _one_lead(runtime)
    async with runtime.uow() as uow:
        rows = list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert len(rows) == 3  # staff, the teaser, staff
        last = rows[-1]
        rows.append(OutboxMessage(platform=last.platform, address=last.address, kind=last.kind))
        uow.session.add(rows[-1])
        now = runtime.clock.now()
        running, ran_out = now + timedelta(minutes=5), now - timedelta(minutes=10)
        # worker-2 took over a row worker-1 left in doubt, and took another one.
        rows[0].claimed_by, rows[0].locked_until, rows[0].in_doubt = "worker-2", running, True
        rows[1].claimed_by, rows[1].locked_until = "worker-2", running
        rows[2].claimed_by, rows[2].locked_until = "worker-1", ran_out  # killed mid-send
        rows[3].in_doubt = True  # its answer was lost; waiting for the retry
        for row in rows:
            row.next_attempt_at = now - timedelta(minutes=12)
        rows[1].next_attempt_at = now - timedelta(minutes=30)  # being sent: not "waiting"
        await uow.commit()
    status = leadbot_process("outbox", "status", config=config_file(tmp_path, database_url))
    assert status.returncode == 0, status.stderr
    until, ended = (t.strftime("%Y-%m-%d %H:%M:%S UTC") for t in (running, ran_out))
    assert status.stdout.splitlines() == [
        "console    pending  4",
        f"  console: 2 being sent (1 in doubt), leased by worker-2 until {until} (in 5 min)",
        f"  console: 1 in doubt, leased by worker-1 until {ended} (10 min ago): the lease ran "
        "out, that sender stopped mid-send; taken over by the next sender",
        "  console: 1 in doubt, waiting for a retry: the outcome of the last attempt is unknown",
        "  a lease names the process that took a notice, not that it still runs: if that "
        "process died, its notices are in doubt once the lease runs out",
        "  in doubt: may already be on the platform; Slack is searched for the message before "
        "it is posted again, other platforms may show it twice",
        "  oldest waiting notice due 12 min ago",
    ]
    await runtime.close()
