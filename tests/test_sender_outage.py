"""The sender across a database outage: a notice claimed but never sent comes back.

The sender claims rows (a lease on each, in one transaction), then reads what they refer
to in another, then sends. When PostgreSQL stops answering between the two, nothing was
sent; the rows must be taken again once their lease ends. They used to stay held by the
worker for good: its heartbeat kept renewing their leases and their addresses stayed
"busy", so that partner got nothing more from this process until a restart.

PostgreSQL is reached through a TCP proxy (tests/support/tcpproxy.py) that is frozen at
exactly that moment: when the claim's connection goes back to the pool.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

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


def freeze_after_the_claim(runtime: Runtime, proxy: TcpProxy) -> threading.Event:
    """Freeze the proxy once the sender's claim (the UPDATE that takes the lease) is
    committed and its connection is back in the pool; the returned event is then set."""
    engine = runtime.engine.sync_engine
    claimed = threading.Event()
    frozen = threading.Event()

    @event.listens_for(engine, "before_cursor_execute")
    def _claiming(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE outbox SET") and "claimed_by=" in statement:
            claimed.set()  # the lease is being taken (committed before the checkin)

    @event.listens_for(engine.pool, "checkin")
    def _claim_done(_dbapi_connection: Any, _record: Any) -> None:
        if claimed.is_set() and not frozen.is_set():
            proxy.freeze()
            frozen.set()

    return frozen


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
    environ = {
        "LEADBOT_DATABASE__URL": url,
        "LEADBOT_CONSOLE__ENABLED": "true",
        # A frozen database is noticed within about a second.
        "LEADBOT_DATABASE__STATEMENT_TIMEOUT_SECONDS": "0.5",
        "LEADBOT_DATABASE__COMMAND_TIMEOUT_SECONDS": "1",
        "LEADBOT_DATABASE__CONNECT_TIMEOUT_SECONDS": "1",
        "LEADBOT_DATABASE__POOL_TIMEOUT_SECONDS": "1",
    }
    settings = load_settings("/nonexistent-leadbot.toml", environ, must_exist=False)
    settings = settings.model_copy(update={"products": [Product(id="X200", line="X-series")]})
    clock = ManualClock()
    runtime = Runtime.create(settings, clock=clock)
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    running: asyncio.Task[None] | None = None
    caplog.set_level(logging.INFO, logger="bot.delivery")
    try:
        async with runtime.uow() as uow:
            await add_partner(uow, "P1")
            await receive(uow, LeadIn.model_validate(lead_payload()), Actor.system(Channel.API))
            await uow.commit()
        frozen = freeze_after_the_claim(runtime, proxy)
        running = asyncio.create_task(sender.run_forever())

        def pass_failed() -> bool:
            return any("outbox pass for console failed" in r.getMessage() for r in caplog.records)

        assert await until(frozen.is_set), "the sender never claimed anything"
        assert await until(pass_failed), "the read after the claim did not fail"
        assert transport.to("partner:P1") == []  # claimed, not sent

        proxy.thaw()
        clock.advance(seconds=settings.outbox.lock_seconds + 1)  # the claim's lease ends

        def teased() -> bool:
            return any(isinstance(d.view, TeaserView) for d in transport.to("partner:P1"))

        assert await until(teased), "the claimed teaser never reached the partner"
        assert len([d for d in transport.to("partner:P1") if isinstance(d.view, TeaserView)]) == 1
        assert not any("could not be read" in r.getMessage() for r in caplog.records)
    finally:
        proxy.thaw()
        if running is not None:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        await runtime.close()
