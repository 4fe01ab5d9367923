"""The inbox of one process: accept presses (stored before the ack), process them, recover.

See :mod:`bot.inbox` for the why. Per process one :class:`PressInbox` per platform; its
:meth:`~PressInbox.run_forever` runs as a supervised background task (``/healthz`` names
it), hands each stored press to the platform's :class:`~bot.inbox.press.PressHandler`
(at most :data:`CONCURRENCY` at once, in the order they were stored), renews the leases
of the presses it works on and takes up presses whose process died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from bot.batching import Batches
from bot.dbfaults import unavailable
from bot.delivery.groupcommit import GroupCommit
from bot.inbox import store
from bot.inbox.press import Accepted, Press, PressHandler
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.inbox")

ACCEPT_SECONDS = 2.0
"""How long storing a press may take before it is acknowledged anyway: well inside
Slack's 3 seconds, with room for the network both ways."""

SWEEP_SECONDS = 2.0
"""How often leases are renewed and presses of dead processes looked for."""

CONCURRENCY = 64
"""Presses decided at the same time in one process (their reads are batched)."""

RELEASE_SECONDS = 2.0
"""How long a shutdown waits to hand back the presses it did not finish."""

MAX_ATTEMPTS = 5
"""A press that failed this often (the database kept failing) is given up: its presser is
asked to press again."""


class PressInbox:
    """Accepts presses for one platform and has its handler decide and answer them."""

    def __init__(self, runtime: Runtime, handler: PressHandler) -> None:
        self.runtime = runtime
        self.handler = handler
        self._storing: dict[str, Press] = {}
        self._stored: Batches[str, int] = Batches(self._store_batch)
        self._removed: GroupCommit[int] = GroupCommit(self._remove_batch)
        self._queue: asyncio.Queue[Press] = asyncio.Queue()
        self._working: set[int] = set()
        self._late: set[asyncio.Task[Accepted]] = set()

    # --- accepting: before the ack ------------------------------------------------------

    async def accept(self, press: Press) -> Accepted:
        """Store ``press`` (with its seen mark) and queue it; returns once it is stored, or
        at :data:`ACCEPT_SECONDS` (``LATE``: storing goes on). Raises if storing failed —
        then nothing was stored, and the caller tells the presser to press again."""
        task = asyncio.ensure_future(self._store(press))
        done, _ = await asyncio.wait({task}, timeout=ACCEPT_SECONDS)
        if task in done:
            return task.result()
        log.info(
            "inbox: storing a %s press took over %.0fs; acknowledged first",
            press.platform,
            ACCEPT_SECONDS,
        )
        self._late.add(task)
        task.add_done_callback(lambda finished: self._late_done(press, finished))
        return Accepted.LATE

    async def _store(self, press: Press) -> Accepted:
        self._storing[press.key] = press
        row_id = await self._stored.get(press.key)
        if row_id is None or row_id in self._working:  # seen before, or twice in one batch
            return Accepted.REPEATED
        self._working.add(row_id)
        self._queue.put_nowait(press.stored(row_id))
        return Accepted.STORED

    async def _store_batch(self, keys: list[str]) -> dict[str, int]:
        presses = [self._storing.pop(key) for key in keys]
        return await store.store(self.runtime.sessions, presses, self.runtime.clock.now())

    def _late_done(self, press: Press, finished: asyncio.Task[Accepted]) -> None:
        self._late.discard(finished)
        if finished.cancelled():
            return
        error = finished.exception()
        if error is not None:  # acknowledged, but never stored: the presser must hear it
            task = asyncio.ensure_future(self.handler.failed(press, error))
            self._late.add(task)  # type: ignore[arg-type]
            task.add_done_callback(self._late.discard)  # type: ignore[arg-type]

    # --- processing: after the ack ------------------------------------------------------

    async def run_forever(self) -> None:
        """Process stored presses and recover those of dead processes, until cancelled."""
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(CONCURRENCY)
        running: set[asyncio.Task[None]] = set()
        next_sweep = loop.time()
        try:
            while True:
                if loop.time() >= next_sweep:
                    await self._sweep()
                    next_sweep = loop.time() + SWEEP_SECONDS
                try:
                    press = await asyncio.wait_for(
                        self._queue.get(), timeout=max(0.0, next_sweep - loop.time())
                    )
                except TimeoutError:
                    continue
                await slots.acquire()
                task = asyncio.create_task(self._process(press))
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _: slots.release())
        finally:
            for task in running:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True), 5)
            await self._release()

    async def _release(self) -> None:
        """When the loop ends (a shutdown, or an error the supervisor restarts it after):
        the presses this process did not finish are free for another process at once,
        instead of after their lease (best effort, bounded; after a crash the lease runs
        out by itself).

        Either way this process forgets them. Kept, a restarted loop would renew their
        leases at every sweep and skip them as its own, and no process would ever decide
        a press whose deciding was cancelled here. Forgotten, a sweep takes them up —
        this process's once it runs again, or another's."""
        if not self._working:
            return
        ids = sorted(self._working)
        self._forget(set(ids))
        try:
            await asyncio.wait_for(
                store.release(self.runtime.sessions, ids, self.runtime.clock.now()),
                RELEASE_SECONDS,
            )
        except Exception as error:  # the database is gone too: the leases run out
            log.warning(
                "inbox: could not hand back %d press(es) (%s)", len(ids), type(error).__name__
            )
        else:
            log.info("inbox: handed back %d unfinished press(es) for another process", len(ids))

    def _forget(self, ids: set[int]) -> None:
        """Drop ``ids`` from the presses this process works on, queued ones included."""
        self._working -= ids
        kept = []
        while not self._queue.empty():
            queued = self._queue.get_nowait()
            if queued.id not in ids:
                kept.append(queued)
        for queued in kept:
            self._queue.put_nowait(queued)

    async def _process(self, press: Press) -> None:
        """Decide and answer ``press``, then forget it. Cancelled (a shutdown), it stays
        this process's until :meth:`_release` hands it back."""
        assert press.id is not None
        try:
            await self._handle(press)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            outage = unavailable(error)
            if outage is not None and press.attempts < MAX_ATTEMPTS:
                log.warning(
                    "inbox: a %s press waits for the database (%s); it is tried again",
                    press.platform,
                    outage,
                )
                self._working.discard(press.id)  # its lease runs out, a sweep takes it up
                return
            await self.handler.failed(press, error)
        try:
            await self._removed.submit(press.id)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the press is answered; at worst it is answered twice
            log.warning("inbox: could not forget an answered press (%s)", type(error).__name__)
        self._working.discard(press.id)

    async def _handle(self, press: Press) -> None:
        """Decide and answer ``press``; on a database behind the code, again once it was
        migrated (the press is not counted as failed, its presser is not told to press
        again)."""
        while True:
            try:
                await self.handler.handle(press)
                return
            except Exception as error:
                if not await wait_if_behind(error):
                    raise

    async def _remove_batch(self, ids: list[int]) -> None:
        await store.remove(self.runtime.sessions, ids)

    async def _sweep(self) -> None:
        """Renew this process's leases, then take up presses whose lease ran out."""
        sessions, now = self.runtime.sessions, self.runtime.clock.now()
        try:
            if self._working:
                await store.renew(sessions, sorted(self._working), now)
            found = await store.take_expired(sessions, now)
        except Exception as error:
            if await wait_if_behind(error):
                return  # migrated meanwhile: the next sweep looks
            if unavailable(error) is None:
                raise
            failing(error, within=SWEEP_SECONDS + PASS_SECONDS)  # /healthz: failing
            # serve's log turns this into one line naming the error (bot/outagelog.py)
            log.warning("inbox: cannot look for pending presses; retrying", exc_info=error)
            return
        working(within=SWEEP_SECONDS + PASS_SECONDS)  # /healthz: the sweeps go on
        for press in found:
            assert press.id is not None
            if press.id in self._working:
                continue
            log.info("inbox: taking up a %s press left by a stopped process", press.platform)
            if press.attempts > MAX_ATTEMPTS:
                await self._give_up(press)
                continue
            self._working.add(press.id)
            self._queue.put_nowait(press)

    async def _give_up(self, press: Press) -> None:
        """Tell the presser of a press that failed too often to press again, and forget it.
        If forgetting fails (the database again), its lease runs out and the next sweep
        gives it up once more — an answer twice rather than none, and the loop goes on."""
        assert press.id is not None
        try:
            await self.handler.failed(press, RuntimeError("too many attempts"))
            await self._removed.submit(press.id)
        except Exception as error:
            log.warning("inbox: could not give up a press (%s)", type(error).__name__)
