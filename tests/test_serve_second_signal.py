"""A second SIGINT/SIGTERM stops ``leadbot serve`` at once, even while the database stalls.

The first signal stops gracefully: running requests may finish (up to 10 s), the loops give
their leases up — against a stalled database each of those waits runs to its bound. An
operator who sends a second signal does not want to wait: the process ends within about a
second, with no traceback and status 128 + the signal's number (130 for Ctrl+C, 143 for
SIGTERM); running requests are cut off. It used to log ``Finished server process`` and go
on for seconds — the request still answering, the loops still logging, the lease release
timing out — and to log a ``CancelledError`` traceback per cut request.

PostgreSQL is reached through a TCP proxy (tests/support/tcpproxy.py) that the test freezes;
``leadbot serve`` is a real process.
"""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from tests.support.databases import backends
from tests.support.factories import lead_payload
from tests.support.serveproc import serve
from tests.support.tcpproxy import TcpProxy

TOKEN = "second-signal-7d1e"
STOP_LIMIT_SECONDS = 2.0
"""The promise is about a second (the loops' clean-up bound); the rest is start-up slack."""

pytestmark = pytest.mark.skipif(
    "postgresql" not in backends(), reason="PostgreSQL is not among LEADBOT_TEST_BACKENDS"
)


def post_in_background(url: str, answers: list[object]) -> threading.Thread:
    """``POST /api/leads`` from another thread; its answer (or error) lands in ``answers``."""

    def post() -> None:
        try:
            response = httpx.post(
                f"{url}/api/leads",
                json=lead_payload(),
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
            answers.append(response.status_code)
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("first", "second", "request_running"),
    [(signal.SIGTERM, signal.SIGTERM, True), (signal.SIGINT, signal.SIGINT, False)],
    ids=["sigterm-twice-during-a-request", "ctrl-c-twice-while-the-loops-stop"],
)
def test_a_second_signal_stops_serve_at_once_while_the_database_stalls(
    proxied_pg: tuple[TcpProxy, str], first: int, second: int, request_running: bool
) -> None:
    proxy, url = proxied_pg
    answers: list[object] = []
    env = {"LEADBOT_SERVER__API_TOKEN": TOKEN, "LEADBOT_CONSOLE__ENABLED": "false"}
    with serve(url, **env) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/healthz").status_code == 200
        proxy.freeze()
        poster = post_in_background(server.url, answers) if request_running else None
        time.sleep(0.5)
        server.process.send_signal(first)
        time.sleep(0.3)
        server.process.send_signal(second)
        sent = time.monotonic()
        code = server.wait()
        took = time.monotonic() - sent
        if poster is not None:
            poster.join(10)

    assert code == 128 + second, server.output
    assert took < STOP_LIMIT_SECONDS, f"ended {took:.1f} s after the second signal"
    assert "leadbot: second signal: stopping at once" in server.output
    assert server.lines[-1] == "leadbot: stopped", server.output  # nothing after it
    for noise in ("Traceback", "CancelledError", " ERROR "):
        assert noise not in server.output, server.output
    if request_running:
        assert answers == ["RemoteProtocolError"]  # cut off: no answer, certainly no 201
