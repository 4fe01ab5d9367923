"""What an operator reads in the log of ``leadbot serve`` while the database is away.

A real process against PostgreSQL through a TCP proxy (tests/support/tcpproxy.py) that
freezes the connections. Every background loop retries its pass every few seconds; the
log must say once per loop that the database is not answering — not once per pass, which
for an hour's outage was thousands of identical lines — and say when it answers again.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import DatabaseSettings
from bot.db import create_engine_async
from bot.outagelog import OutageLog, OutageLogLines, watch
from tests.support.databases import backends
from tests.support.fanout import channel, fanout_world
from tests.support.tcpproxy import TcpProxy

WAIT_SECONDS = 40.0  # hang guard only
FAILED_CONNECTS = 8
"""New connections the loops try while frozen: several failed passes of every loop."""

needs_postgres = pytest.mark.skipif(
    "postgresql" not in backends(), reason="PostgreSQL is not among LEADBOT_TEST_BACKENDS"
)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS} s: {what}"
        time.sleep(0.2)


@needs_postgres
def test_an_outage_is_logged_once_per_loop_and_its_end_is_logged_too(
    proxied_pg: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    proxy, url = proxied_pg
    with fanout_world(url, tmp_path, 1, telegram=False) as world, world.serving() as server:
        world.post_lead(server, 1)
        wait_until(lambda: world.slack_teasers(0) == 1, "the first teaser")

        proxy.freeze()
        before = proxy.accepted
        wait_until(lambda: "outbox pass for slack failed" in server.output, "the sender's line")
        # The loops keep trying (each pass opens a new connection that gets no answer).
        wait_until(lambda: proxy.accepted - before >= FAILED_CONNECTS, "passes failing")
        proxy.thaw()
        wait_until(lambda: "the database answers again" in server.output, "a recovery line")

        world.post_lead(server, 2)
        wait_until(lambda: world.slack_teasers(0) == 2, "the teaser after the outage")
        assert world.slack is not None and len(world.slack.bot_messages(channel(0))) == 2
        assert server.stop(signal.SIGTERM) == 0

    log = server.output
    assert log.count("outbox pass for slack failed; retrying") == 1, log
    assert log.count("scheduler pass failed") <= 1, log
    assert log.count("cannot look for pending presses") <= 1, log
    assert "Traceback" not in log
    recovery = next(line for line in log.splitlines() if "the database answers again" in line)
    assert "INFO leadbot.database:" in recovery
    assert "left out" in recovery  # says how many repeated lines it spared the reader


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _errors(url: str) -> tuple[BaseException, BaseException]:
    """Two real outage errors: a full pool (the connection itself was fine) and a refused
    connect (the connection was lost)."""
    busy = create_engine_async(
        DatabaseSettings(url=url, pool_size=1, max_overflow=0, pool_timeout_seconds=0.2)
    )
    gone = create_engine_async(
        DatabaseSettings(url="postgresql://postgres@127.0.0.1:1/test", connect_timeout_seconds=1)
    )
    try:
        async with busy.connect() as held:
            await held.execute(text("SELECT 1"))
            with pytest.raises(Exception) as full:
                async with busy.connect():
                    pass
        with pytest.raises(Exception) as refused:
            async with gone.connect():
                pass
    finally:
        await busy.dispose()
        await gone.dispose()
    return full.value, refused.value


@needs_postgres
async def test_an_outage_whose_first_lost_line_was_spaced_out_still_gets_its_end(
    proxied_pg: tuple[TcpProxy, str],
) -> None:
    """A loop's first failure was a full pool (no lost connection), its next ones within the
    minute a lost connection, left out as repeats: the outage was never marked as begun, so
    no 'answers again' line came when the database did — the log ended on 'not answering'.
    And the count of left-out lines in that line included those of an earlier spell that
    had no end line of its own (hours before)."""
    _, url = proxied_pg
    full, refused = await _errors(url)
    clock = _Clock()
    outages = OutageLog(clock)
    handler = _Collect()
    handler.addFilter(OutageLogLines(outages))
    logger = logging.getLogger("tests.outage_log.loop")
    ended = logging.getLogger("leadbot.database")  # where the end of an outage is said
    level = ended.level
    ended.setLevel(logging.INFO)  # as serve's log (--log-level info) has it
    for each in (logger, ended):
        each.addHandler(handler)
    engine = create_engine_async(DatabaseSettings(url=url))
    watch(engine, outages)
    try:
        # Hours ago: the pool was full for a while (one line, one repeat left out).
        for error in (full, full):
            logger.warning("outbox pass for slack failed; retrying", exc_info=error)
            clock.now += 5
        clock.now = 10_000.0
        logger.warning("outbox pass for slack failed; retrying", exc_info=full)
        for _ in range(3):  # the connection is lost now: repeats within the minute
            clock.now += 5
            logger.warning("outbox pass for slack failed; retrying", exc_info=refused)
        clock.now += 5
        async with engine.connect() as conn:  # the database answers again
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
        ended.setLevel(level)
        for each in (logger, ended):
            each.removeHandler(handler)
    lines = [record.getMessage() for record in handler.records]
    assert len(lines) == 3, lines  # one line of the spell hours ago, one now, the end
    assert lines[-1] == (
        "the database answers again (it did not for 15 s; 3 repeated warning line(s) left out)"
    ), lines
