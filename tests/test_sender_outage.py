"""The sender across a database outage: a notice claimed but never sent comes back.

The sender claims rows (a lease on each, in one transaction), then reads what they refer
to in another, then sends. When PostgreSQL stops answering between the two, nothing was
sent; the rows must be taken again — at once when the database answers the release, else
once their lease ends. They used to stay held by the
worker for good: its heartbeat kept renewing their leases and their addresses stayed
"busy", so that partner got nothing more from this process until a restart.

PostgreSQL is reached through a TCP proxy (tests/support/tcpproxy.py) that is frozen (or
the leads table locked) at exactly that moment: when the claim's connection goes back to
the pool.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Product, load_settings
from bot.delivery.notices import TeaserView
from bot.delivery.sender import OutboxSender
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, Platform
from bot.runtime import Runtime
from tests.support.databases import backends
from tests.support.factories import add_partner, lead_payload
from tests.support.recording import RecordingTransport
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.skipif(
    "postgresql" not in backends(), reason="PostgreSQL is not among LEADBOT_TEST_BACKENDS"
)

WAIT_SECONDS = 20.0


def after_the_claim(runtime: Runtime, action: Callable[[], None]) -> threading.Event:
    """Run ``action`` once the sender's claim (the UPDATE that takes the lease) is
    committed and its connection is back in the pool; the returned event is then set."""
    engine = runtime.engine.sync_engine
    claimed = threading.Event()
    done = threading.Event()

    @event.listens_for(engine, "before_cursor_execute")
    def _claiming(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE outbox SET") and "claimed_by=" in statement:
            claimed.set()  # the lease is being taken (committed before the checkin)

    @event.listens_for(engine.pool, "checkin")
    def _claim_done(_dbapi_connection: Any, _record: Any) -> None:
        if claimed.is_set() and not done.is_set():
            action()
            done.set()

    return done


def console_runtime(url: str, clock: ManualClock) -> Runtime:
    """A runtime on ``url`` whose stalled statements end within about a second."""
    environ = {
        "LEADBOT_DATABASE__URL": url,
        "LEADBOT_CONSOLE__ENABLED": "true",
        "LEADBOT_DATABASE__STATEMENT_TIMEOUT_SECONDS": "0.5",
        "LEADBOT_DATABASE__COMMAND_TIMEOUT_SECONDS": "1",
        "LEADBOT_DATABASE__CONNECT_TIMEOUT_SECONDS": "1",
        "LEADBOT_DATABASE__POOL_TIMEOUT_SECONDS": "1",
    }
    settings = load_settings("/nonexistent-leadbot.toml", environ, must_exist=False)
    settings = settings.model_copy(update={"products": [Product(id="X200", line="X-series")]})
    return Runtime.create(settings, clock=clock)


async def queue_one_teaser(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
        await uow.commit()


def teasers(transport: RecordingTransport) -> list[Any]:
    return [d for d in transport.to("partner:P1") if isinstance(d.view, TeaserView)]


def pass_failed(caplog: pytest.LogCaptureFixture) -> Callable[[], bool]:
    return lambda: any("outbox pass for console failed" in r.getMessage() for r in caplog.records)


async def until(condition: Any, seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return bool(condition())


async def test_a_notice_claimed_just_before_the_database_froze_is_sent_after_it(
    proxied_pg: tuple[TcpProxy, str], caplog: pytest.LogCaptureFixture
) -> None:
    proxy, url = proxied_pg
    clock = ManualClock()
    runtime = console_runtime(url, clock)
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    running: asyncio.Task[None] | None = None
    caplog.set_level(logging.INFO, logger="bot.delivery")
    try:
        await queue_one_teaser(runtime)
        frozen = after_the_claim(runtime, proxy.freeze)
        running = asyncio.create_task(sender.run_forever())

        assert await until(frozen.is_set), "the sender never claimed anything"
        assert await until(pass_failed(caplog)), "the read after the claim did not fail"
        assert transport.to("partner:P1") == []  # claimed, not sent

        proxy.thaw()
        clock.advance(seconds=runtime.settings.outbox.lock_seconds + 1)  # the lease ends

        def teased() -> bool:
            return bool(teasers(transport))

        assert await until(teased), "the claimed teaser never reached the partner"
        assert len(teasers(transport)) == 1
        assert not any("could not be read" in r.getMessage() for r in caplog.records)
    finally:
        proxy.thaw()
        if running is not None:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        await runtime.close()


async def test_a_notice_whose_read_was_cancelled_goes_out_without_waiting_for_its_lease(
    proxied_pg: tuple[TcpProxy, str], caplog: pytest.LogCaptureFixture
) -> None:
    """One statement cancelled by ``statement_timeout`` (a lock, a busy server) while the
    database still answers: the claimed rows are given back at once, so the next pass sends
    them — they used to wait for their lease (6 s) after every such hiccup. The clock does
    not move here: only the release can free them."""
    _proxy, url = proxied_pg
    runtime = console_runtime(url, ManualClock())
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    holder = psycopg.connect(url)  # e.g. a long maintenance job, from the claim on
    running: asyncio.Task[None] | None = None
    caplog.set_level(logging.INFO, logger="bot.delivery")
    try:
        await queue_one_teaser(runtime)
        locked = after_the_claim(
            runtime, lambda: holder.execute("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
        )
        running = asyncio.create_task(sender.run_forever())

        assert await until(locked.is_set), "the sender never claimed anything"
        assert await until(pass_failed(caplog)), "the read after the claim was not cancelled"
        assert teasers(transport) == []
        holder.rollback()  # the lock is gone; the lease would still run for 6 s

        assert await until(lambda: bool(teasers(transport))), "the teaser waited for its lease"
        assert len(teasers(transport)) == 1
    finally:
        holder.close()
        if running is not None:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        await runtime.close()
