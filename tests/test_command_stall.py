"""Commands started while the database does not answer stop within the [database] limits.

Each command runs as a process of its own, as an operator runs it: ``serve``, ``leads
import``, ``partners import``, ``cockpit link``, ``console``, ``report`` and ``migrate``,
with PostgreSQL reached through a TCP proxy (tests/support/tcpproxy.py) frozen so that
connections are accepted and never get a byte. Each gives up within the connect and
statement limits with one line on stderr (never the password) instead of waiting for as
long as the stall lasts, and Ctrl+C stops them while they wait (exit status 130). The timings asserted
are hang guards, not speed claims. Requests while the database stalls:
tests/test_database_stall.py.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from bot.migrate import alembic_config, current_revision, head_revision
from tests.support.cli import CONFIG, EXAMPLES
from tests.support.databases import PG_USER, backends, pg_url
from tests.support.tcpproxy import TcpProxy

CONNECT_LIMIT = 2  # seconds; psycopg (migrate) counts whole seconds, at least 2
WAIT_GUARD_SECONDS = 3 * CONNECT_LIMIT  # a hang guard, not a speed claim
NEVER_SECONDS = 30  # without a bound a command would wait 130 s (psycopg) or forever
PASSWORD = "S3cretPassw0rd"
NO_ANSWER = (  # statement timeout 1 s: command timeout 2 s
    "leadbot: cannot reach the database: no answer in time (TimeoutError; limits: connect "
    f"{CONNECT_LIMIT} s, command 2 s)"
)
HANG_GUARD_SECONDS = 8.0  # Ctrl+C: as for the requests in tests/test_database_stall.py

needs_postgres = pytest.mark.skipif(
    "postgresql" not in backends(), reason="PostgreSQL is not among LEADBOT_TEST_BACKENDS"
)


def frozen_url(proxied_pg: tuple[TcpProxy, str]) -> str:
    """The proxied database's URL, with a password, its proxy frozen: connections are
    accepted and then never get a byte."""
    proxy, url = proxied_pg
    proxy.freeze()
    return url.replace(f"//{PG_USER}@", f"//{PG_USER}:{PASSWORD}@", 1)


def leadbot_popen(
    url: str, *args: str, connect_limit: float = CONNECT_LIMIT
) -> subprocess.Popen[str]:
    """``leadbot ARGS`` as an operator runs it, with small ``[database]`` limits."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEADBOT_")}
    environ.update(
        LEADBOT_DATABASE__URL=url,
        LEADBOT_DATABASE__CONNECT_TIMEOUT_SECONDS=str(connect_limit),
        LEADBOT_DATABASE__STATEMENT_TIMEOUT_SECONDS="1",
        LEADBOT_COCKPIT__SECRET="s" * 40,
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(CONFIG), *args],
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waiting_since(process: subprocess.Popen[str], proxy: TcpProxy) -> float:
    """When the process first connected to the frozen database (its start-up, which may
    take seconds on a busy machine, is not part of the wait being bounded)."""
    deadline = time.monotonic() + NEVER_SECONDS
    while proxy.accepted == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proxy.accepted > 0, "it never tried the database"
    return time.monotonic()


def finished(process: subprocess.Popen[str], since: float) -> tuple[int, str, float]:
    """Exit status, stderr and seconds since ``since``; a process still waiting after
    :data:`NEVER_SECONDS` is killed and fails the test (instead of hanging it)."""
    try:
        _out, err = process.communicate(timeout=NEVER_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
        pytest.fail(f"still waiting for the database after {NEVER_SECONDS} s:\n{err}")
    return process.returncode, err, time.monotonic() - since


@needs_postgres
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("serve", "--port", "0"), NO_ANSWER),
        (("leads", "import", str(EXAMPLES / "leads.csv")), NO_ANSWER),
        (("partners", "import", str(EXAMPLES / "partners.csv")), NO_ANSWER),
        (("cockpit", "link"), NO_ANSWER),
        (("console",), NO_ANSWER),
        (("report",), NO_ANSWER),  # it always gave up; it said "TimeoutError: TimeoutError"
        # Statements of a migration may run long; opening its connection may not.
        (("migrate",), "leadbot: cannot migrate the database: connection timeout expired"),
    ],
    ids=[
        "serve",
        "leads-import",
        "partners-import",
        "cockpit-link",
        "console",
        "report",
        "migrate",
    ],
)
def test_a_command_gives_up_on_a_database_that_never_answers(
    proxied_pg: tuple[TcpProxy, str], args: tuple[str, ...], says: str
) -> None:
    url = frozen_url(proxied_pg)
    process = leadbot_popen(url, *args)
    code, err, waited = finished(process, waiting_since(process, proxied_pg[0]))
    assert code == 1, err
    assert err.strip() == says  # one line, nothing else (no "serving on", no traceback)
    assert waited < WAIT_GUARD_SECONDS, f"gave up {waited:.1f} s after connecting"
    assert PASSWORD not in err


@needs_postgres
@pytest.mark.parametrize(
    "args",
    [("serve", "--port", "0"), ("leads", "import", str(EXAMPLES / "leads.csv"))],
    ids=["serve", "leads-import"],
)
def test_ctrl_c_stops_a_command_while_it_waits_for_the_database(
    proxied_pg: tuple[TcpProxy, str], args: tuple[str, ...]
) -> None:
    """Ctrl+C while ``serve`` starts (here: waits for the database) printed click's
    "Aborted!" and exited 1, as if it had failed. Now one line says it was interrupted,
    and the exit status is 130, as a shell reports a process stopped by SIGINT."""
    url = frozen_url(proxied_pg)
    # The child takes SIGINT as the parent has it: pytest run in the background may
    # ignore it, and then so would leadbot.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # A limit far off: what stops it must be the signal.
        process = leadbot_popen(url, *args, connect_limit=NEVER_SECONDS)
    finally:
        signal.signal(signal.SIGINT, previous)
    waiting_since(process, proxied_pg[0])
    process.send_signal(signal.SIGINT)
    code, err, took = finished(process, time.monotonic())
    assert code == 130, err  # it never served
    assert took < HANG_GUARD_SECONDS, f"stopped {took:.1f} s after Ctrl+C"
    assert err == "leadbot: interrupted\n"  # no "Aborted!", no "serving on", no traceback


@needs_postgres
def test_migrate_stops_when_the_database_falls_silent_half_way_and_a_rerun_finishes(
    proxied_pg: tuple[TcpProxy, str],
) -> None:
    """A database that stopped answering in the middle of ``leadbot migrate`` (here: just
    as the last migration's statement is sent) left it hanging for as long as that lasted.
    Now it stops within the limits, naming the database, and nothing of the migration was
    committed (one transaction): the rerun migrates from where it was before."""
    from alembic import command

    proxy, url = proxied_pg
    name = url.rsplit("/", 1)[1]
    command.downgrade(alembic_config(pg_url(name)), "0011")
    proxy.freeze_on(b"ended_at")  # 0013's ALTER TABLE, after 0012's statements went through
    process = leadbot_popen(url.replace(f"//{PG_USER}@", f"//{PG_USER}:{PASSWORD}@", 1), "migrate")
    assert proxy.frozen_on.wait(NEVER_SECONDS), "the migration never reached 0013"
    code, err, waited = finished(process, time.monotonic())
    assert code == 1, err
    shown = f"postgresql://{PG_USER}:***@127.0.0.1:{proxy.port}/{name}"
    assert re.fullmatch(
        rf"leadbot: cannot migrate the database {re.escape(shown)}: it stopped answering in "
        r"the middle of the migration \(no answer for \d+ s\); nothing of it was committed — "
        r"run `leadbot migrate` again once the database answers\n",
        err,
    ), err
    assert PASSWORD not in err
    assert waited < 4 * WAIT_GUARD_SECONDS, f"gave up {waited:.1f} s after the stall"

    proxy.drop()  # the network path comes back; the cut connection is gone
    proxy.thaw()
    assert current_revision(pg_url(name)) == "0011"  # 0012 was not committed either
    rerun = leadbot_popen(url, "migrate")
    out, err = rerun.communicate(timeout=NEVER_SECONDS)
    assert rerun.returncode == 0, err
    assert out.strip() == f"Database migrated from 0011 to {head_revision()}."
