"""What an operator reads in the log of ``leadbot serve`` while the database is away.

A real process against PostgreSQL through a TCP proxy (tests/support/tcpproxy.py) that
freezes the connections. Every background loop retries its pass every few seconds; the
log must say once per loop that the database is not answering — not once per pass, which
for an hour's outage was thousands of identical lines — and say when it answers again.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

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
