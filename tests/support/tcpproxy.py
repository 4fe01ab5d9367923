"""A TCP proxy on loopback that a fault test can freeze, thaw and cut.

Put it between the bot and a real server (PostgreSQL, Redis) to play the network faults
that hurt most in production, without touching the machine's own server:

* :meth:`TcpProxy.freeze` — connections stay open but no byte moves in either direction
  (a stalled database, a half-dead NAT entry). New connections are accepted and get
  nothing either. Bytes read meanwhile are held, in order, not lost.
* :meth:`TcpProxy.freeze_on` — freeze as soon as the client sends bytes that contain a
  pattern (those bytes held too): a stall at an exact point, such as the middle of a
  migration.
* :meth:`TcpProxy.thaw` — bytes flow again, the held ones first.
* :meth:`TcpProxy.drop` — every current connection is closed on both sides (a database
  restart, a failover); new connections are accepted as before.

The proxy runs its own asyncio loop in a daemon thread, so synchronous tests (which talk
to a ``leadbot serve`` subprocess) and async tests can both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 65536
CONTROL_TIMEOUT = 10.0  # a control call that takes longer is a bug in the proxy


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._flowing = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._freeze_on: bytes | None = None
        self.frozen_on = threading.Event()
        self.accepted = 0

    # --- control, from any thread --------------------------------------------------------

    def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._thread.start()
        self._call(self._start())
        return self.port

    def freeze(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def freeze_on(self, pattern: bytes) -> None:
        """Freeze once a client sends ``pattern`` (within one read); :attr:`frozen_on` is set
        then."""
        self._freeze_on = pattern

    def thaw(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    def drop(self) -> int:
        """Close every current connection; returns how many there were."""
        return self._call(self._drop())

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT)
        self._loop.close()

    @property
    def connections(self) -> int:
        return len(self._links)

    def _call(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(CONTROL_TIMEOUT)

    # --- inside the proxy's loop ---------------------------------------------------------

    async def _start(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop()

    async def _drop(self) -> int:
        links = list(self._links)
        for link in links:
            link.close()
        self._links.clear()
        return len(links)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        link = _Link(writer, up_writer)
        self._links.add(link)
        link.tasks = [
            asyncio.create_task(self._pipe(reader, up_writer, link, outgoing=True)),
            asyncio.create_task(self._pipe(up_reader, writer, link)),
        ]

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        link: _Link,
        *,
        outgoing: bool = False,
    ) -> None:
        try:
            while chunk := await source.read(CHUNK):
                if outgoing and self._freeze_on is not None and self._freeze_on in chunk:
                    self._freeze_on = None
                    self._flowing.clear()
                    self.frozen_on.set()
                await self._flowing.wait()
                if link.closed:
                    return
                sink.write(chunk)
                await sink.drain()
        except asyncio.CancelledError:
            return  # dropped: link.close() did the rest
        except OSError:
            pass
        # One side ended: end the other too, as a real connection would (unless frozen,
        # where nothing may move — the close then waits for the thaw like the bytes do).
        await self._flowing.wait()
        link.close()
        self._links.discard(link)


class _Link:
    """One proxied connection: the client's socket and ours to the target."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.tasks: list[asyncio.Task[None]] = []
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.upstream):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()


@contextmanager
def tcp_proxy(target_host: str, target_port: int) -> Iterator[TcpProxy]:
    """A started :class:`TcpProxy`, closed at the end of the block."""
    proxy = TcpProxy(target_host, target_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()
