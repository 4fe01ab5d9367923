"""Every way of writing a PostgreSQL URL gets the same ``[database]`` limits.

``postgresql+psycopg://`` ran the bot on psycopg, which has no client-side command limit
(asyncpg's ``command_timeout``) and, cancelling a query on a frozen connection, waits for
the server as well: a request hung for as long as the database stalled, and a command
started against a silent database said something else than the plain URL's bounded
error. Now the bot's engine is the same for every form (bot/db.py); ``migrate`` still
uses the sync driver a URL names. Timings are hang guards, not speed claims.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.serveproc import serve
from tests.support.tcpproxy import TcpProxy
from tests.test_command_stall import (
    NO_ANSWER,
    PASSWORD,
    WAIT_GUARD_SECONDS,
    finished,
    frozen_url,
    leadbot_popen,
    needs_postgres,
    waiting_since,
)
from tests.test_database_stall import HANG_GUARD_SECONDS, OUTAGE

FORMS = ["postgresql+psycopg://", "postgresql+psycopg2://", "postgresql+asyncpg://"]
TOKEN = "url-forms-token-9c1e"


def _written_as(url: str, form: str) -> str:
    assert url.startswith("postgresql://")
    return form + url.removeprefix("postgresql://")


@needs_postgres
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "command", [("report",), ("serve", "--port", "0")], ids=["report", "serve"]
)
def test_a_command_on_a_silent_database_gives_the_same_bounded_error_for_every_url_form(
    proxied_pg: tuple[TcpProxy, str], form: str, command: tuple[str, ...]
) -> None:
    url = _written_as(frozen_url(proxied_pg), form)
    process = leadbot_popen(url, *command)
    code, err, waited = finished(process, waiting_since(process, proxied_pg[0]))
    assert code == 1, err
    assert err.strip() == NO_ANSWER
    assert waited < WAIT_GUARD_SECONDS, f"gave up {waited:.1f} s after connecting"
    assert PASSWORD not in err


@needs_postgres
def test_a_request_on_the_explicit_psycopg_url_answers_503_when_the_database_stalls(
    proxied_pg: tuple[TcpProxy, str],
) -> None:
    """The stall that hung requests: connections open, then no byte moves. The client-side
    command limit ends the wait, as on the plain URL (tests/test_database_stall.py)."""
    proxy, url = proxied_pg
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serve(
        _written_as(url, "postgresql+psycopg://"),
        LEADBOT_SERVER__API_TOKEN=TOKEN,
        LEADBOT_DATABASE__STATEMENT_TIMEOUT_SECONDS="1",
    ) as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert http.get("/api/leads/1", headers=auth).status_code == 404  # it works
            proxy.freeze()
            started = time.monotonic()
            stalled = http.get("/api/leads/1", headers=auth)
            took = time.monotonic() - started
            proxy.thaw()
        server.stop(2)
    assert took < HANG_GUARD_SECONDS, f"answered after {took:.1f} s"
    assert stalled.status_code == 503, stalled.text
    assert stalled.json() == {"detail": OUTAGE}
