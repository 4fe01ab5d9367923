"""``leadbot serve``: the HTTP app plus the background loops, until SIGINT/SIGTERM.

One process serves ``/api/leads``, ``/healthz``, ``/metrics`` (and the chat webhooks once
they exist) and runs the outbox sender and the scheduler inside the app's lifespan, so
they start with the server and stop with it. On SIGINT or SIGTERM uvicorn stops taking
connections, finishes running requests (up to :data:`GRACEFUL_SECONDS`), the loops are
cancelled between two steps (their work is in the database, nothing is lost), and the
command exits with status 0. A second signal stops it at once (within about
:data:`STOP_NOW_SECONDS`, running requests cut off) with status 128 + the signal's number
(130 for Ctrl+C, 143 for SIGTERM), as a shell reports a process a signal ended: it was not
a clean stop.

It does not start (exit status 1) when ``LEADBOT_SERVER__TOMBSTONE_KEY`` is not the key the
database's tombstones are made with: it would take erased leads in again
(:mod:`bot.crm.tombstones`). The first server with a key records it. Nor does it start on a
database whose schema is older than its code ("not starting: the database is at revision
0011, this leadbot needs 0012: run `leadbot migrate`"); on a newer one (a newer leadbot
migrated it) it starts with a warning (:mod:`bot.schema`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import sys
from collections.abc import Mapping
from types import FrameType

import click
import uvicorn
import uvloop

from bot import geo, supervisor
from bot.cli.common import WholeNumber, command, pass_settings
from bot.cli.importing import fail, require_database
from bot.cli.loglines import configure_logging
from bot.config import ConfigError, Settings, TombstoneKeyMismatch
from bot.crm.tombstones import settle_key, unverified_warning
from bot.delivery.transports import Transport
from bot.models import Platform
from bot.platform import ChatPlatform
from bot.runtime import Runtime
from bot.web.server import assemble

log = logging.getLogger(__name__)

GRACEFUL_SECONDS = 10
STOP_NOW_SECONDS = 1.0
"""After a second signal: how long the background loops get to stop before the process ends."""
SIGNAL_POLL_SECONDS = 0.1
MIN_API_TOKEN = 16
"""Shorter API tokens are warned about at start (as long as the cockpit's secret must be)."""


def startup_warnings(
    settings: Settings,
    chats: Mapping[Platform, ChatPlatform],
    transports: Mapping[Platform, Transport],
    *,
    unverified_tombstones: int = 0,
) -> list[str]:
    """What an operator should fix before relying on this process. ``unverified_tombstones``:
    the tombstones this process's start found when it recorded its tombstone key (they
    cannot be checked against it, :func:`bot.crm.tombstones.check_key`)."""
    warnings = []
    if unverified_tombstones:
        warnings.append(unverified_warning(unverified_tombstones))
    for platform in sorted(set(chats) - set(transports)):
        name = platform.value
        where = (
            f"no {name} runs in a server (only in `leadbot {name}`)"
            if chats[platform].server_module is None
            else f"this process has no {name} transport"
        )
        warnings.append(
            f"the {name} platform is enabled ([{name}] enabled = true) but {where}: its notices "
            f"pile up in the outbox. For this server set LEADBOT_{name.upper()}__ENABLED=false."
        )
    token = settings.server.api_token
    if token is None or not token.get_secret_value():
        warnings.append(
            "no API token: set LEADBOT_SERVER__API_TOKEN, until then POST /api/leads "
            "answers 401 to everyone."
        )
    elif len(token.get_secret_value()) < MIN_API_TOKEN:
        warnings.append(
            f"the API token (LEADBOT_SERVER__API_TOKEN) is only "
            f"{len(token.get_secret_value())} characters long: nothing limits how often a "
            "wrong one may be tried, and it opens reading and erasing leads; use at least "
            f"{MIN_API_TOKEN} random characters, e.g. the output of `openssl rand -hex 32`."
        )
    key = settings.server.tombstone_key
    if key is None or not key.get_secret_value():
        warnings.append(
            "no tombstone key: set LEADBOT_SERVER__TOMBSTONE_KEY (and keep it; every leadbot "
            "process needs the same one), until then the hashes that keep erased leads out "
            "are only as strong as plain hashes."
        )
    secret = settings.cockpit.secret
    if secret is None or not secret.get_secret_value():
        warnings.append(
            "no cockpit secret: set LEADBOT_COCKPIT__SECRET, until then /cockpit explains "
            "that it is not set up and `leadbot cockpit link` refuses."
        )
    return warnings


class StartupFailed(Exception):
    """A platform or the app could not start (bad token, unreachable API, ...)."""


class _Server(uvicorn.Server):
    """uvicorn, announcing the real address and ending with status 0 on a signal — or at
    once, with 128 + the signal's number, on a second one.

    Plain uvicorn re-raises a caught SIGINT/SIGTERM after its graceful shutdown, which
    turns a clean stop into a KeyboardInterrupt trace or a "killed" exit status.

    Its ``force_exit`` (a second signal) only stops *waiting for connections*: running
    requests, the app's lifespan and the background loops went on, the command still
    closed the runtime, and asyncio cancelled what was left at the very end — with a stalled
    database seconds later, after "Finished server process", with a ``CancelledError``
    traceback per cut request. So a second signal stops here instead
    (:meth:`_stop_now`): bounded, whatever the database does.
    """

    def __init__(self, config: uvicorn.Config, address: str) -> None:
        super().__init__(config)
        self.address = address
        self.second_signal: int | None = None
        self._stop: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and self.second_signal is None:
            self.second_signal = sig
            self.force_exit = True  # what uvicorn does with it: stop waiting for connections
        self.should_exit = True

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        watch = asyncio.create_task(self._watch_for_second_signal(), name="second-signal")
        try:
            await super().serve(sockets=sockets)
        finally:
            watch.cancel()
        if self.second_signal is not None:  # uvicorn returned first (it skipped its waits)
            await self._stopping_now()

    async def _watch_for_second_signal(self) -> None:
        """While uvicorn still stops (its lifespan waits on the loops, the loops on the
        database). Polled like uvicorn's own flags: a signal handler must not touch the loop."""
        while self.second_signal is None:
            await asyncio.sleep(SIGNAL_POLL_SECONDS)
        self._stopping_now()

    def _stopping_now(self) -> asyncio.Task[None]:
        if self._stop is None:
            assert self.second_signal is not None
            self._stop = asyncio.create_task(self._stop_now(self.second_signal), name="stop-now")
        return self._stop

    async def _stop_now(self, sig: int) -> None:
        """End the process within :data:`STOP_NOW_SECONDS`, status 128 + ``sig``.

        The background loops are cancelled and get that long for their clean-ups (a lease
        given up, outbox rows handed back: at once when the database answers); what they
        have not finished by then expires by itself, as after a crash. Running requests are
        cut off (the client sees the connection close; a lead posted again with the same
        ``external_id`` is not taken twice). ``os._exit`` because nothing else is bounded:
        asyncio waits, without limit, for every task it cancels at the end.
        """
        click.echo("leadbot: second signal: stopping at once", err=True)
        left = await supervisor.stop_all(STOP_NOW_SECONDS)
        if left:  # their leases expire by themselves, as after a crash
            log.info("background task(s) cut off while stopping: %s", ", ".join(left))
        click.echo("leadbot: stopped", err=True)
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + sig)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        # What start-up built (modules, the Bolt app, mappers, caches) lives as long as the
        # process: out of the garbage collector's sight, so a full collection during a
        # burst of requests walks only what the requests made (docs/performance.md).
        gc.collect()
        gc.freeze()
        if not self.should_exit:
            click.echo(f"leadbot: serving on {self.address} (Ctrl+C to stop)", err=True)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Connections inherit it: uvicorn (h11) writes a response's head and body separately,
    # and with Nagle's algorithm the body then waits for the client's delayed ACK (~40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def _serve(settings: Settings, sock: socket.socket, address: str, log_level: str) -> None:
    runtime = Runtime.create(settings)
    try:
        # A key that does not fit the database's tombstones would let erased leads back in
        # through the API: refuse to start (the first server with a key records it).
        unverified = await settle_key(runtime.sessions, settings, runtime.clock.now())
        geo.preload()  # not in the first lead's request
        bot = assemble(runtime)
        warnings = startup_warnings(
            settings, runtime.chats, bot.parts.transports, unverified_tombstones=unverified
        )
        for warning in warnings:
            click.echo(f"leadbot: warning: {warning}", err=True)
        config = uvicorn.Config(
            bot.app,
            lifespan="on",
            access_log=False,  # our own access log leaves out query strings (bot.web.ops)
            log_config=None,
            log_level=log_level,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        server = _Server(config, address)
        log.debug("event loop: %s", type(asyncio.get_running_loop()).__module__)
        await server.serve(sockets=[sock])
        if not server.started:
            raise StartupFailed("the server did not start; the log above says why")
    finally:
        await runtime.close()


@command(name="serve")
@click.option("--host", help="Address to listen on (default: [server] host).")
@click.option(
    "--port", type=WholeNumber(0, 65535), help="Port (default: [server] port; 0 = any free)."
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@pass_settings
def serve_command(settings: Settings, host: str | None, port: int | None, log_level: str) -> None:
    """Serve the HTTP API (/api/leads, /healthz, /metrics) and run the outbox sender and
    the scheduler, until stopped with Ctrl+C or SIGTERM."""
    # A schema older than this code would answer every request with an error: refuse.
    require_database(settings, refusal="not starting: ")
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    configure_logging(log_level, settings)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    if not settings.server.public_url:
        # The links leadbot sends (e-mail, the cockpit's) are then http://host:port: the
        # address this process listens on, which --host and --port may have changed.
        server = settings.server.model_copy(update={"host": host, "port": bound})
        settings = settings.model_copy(update={"server": server})
    try:
        # uvloop (libuv) instead of asyncio's pure-Python loop, and uvicorn picks httptools
        # for HTTP parsing when it is installed: about an eighth less CPU per request.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_serve(settings, sock, f"http://{shown}:{bound}", log_level))
    except ConfigError as exc:  # a platform cannot start as configured (e.g. a missing token)
        fail(str(exc), 2)
    except StartupFailed as exc:
        fail(str(exc))
    except TombstoneKeyMismatch as exc:
        fail(f"not starting: {exc}")
    finally:
        sock.close()
    click.echo("leadbot: stopped", err=True)
