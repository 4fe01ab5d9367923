"""The log of ``leadbot serve`` while the database is away: readable, and with an end.

The background loops (the senders, the scheduler, the press inbox, …) log a failed pass
and retry it a few seconds later. During an outage every pass fails: before this module,
each failure was a WARNING line of its own — about fifty a minute per process, thousands
for an hour's outage, all alike — and when the database came back the log simply fell
silent, so the operator could not tell from it when the outage ended.

:class:`OutageLogLines` (``serve`` puts it on every handler) turns a record whose
exception means "the database is not answering" (:func:`bot.dbfaults.unavailable`) into
one WARNING line without a traceback, and lets the same line (the same logger and
message) through only once a minute while it repeats, saying how many it left out.
When the connection itself was lost (a timeout, a cut, a refused connect), the next
connection the pool hands out — a fresh one that logged in, or a pooled one that
answered its ping — ends the outage with one INFO line: ``the database answers again
(it did not for 1 min 53 s; 84 repeated warning lines left out)``. A statement the
server cancelled or a locked SQLite file is no lost connection: its lines are only
spaced out, since other statements succeeding at the same time say nothing about it.

The per-request ``503`` lines (:mod:`bot.web.unavailable`) are not touched: each is a
request someone made and got refused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dbfaults import connection_lost, unavailable

log = logging.getLogger("leadbot.database")

REPEAT_SECONDS = 60.0
"""The same outage line at most once this often; the repeats in between are counted."""

Key = tuple[str, str]
"""A line's logger and message: one loop's failure (``outbox pass for slack failed``)."""


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


class OutageLog:
    """What this process has said about the current outage (one per process, :data:`OUTAGES`;
    a lock because SQLite's thread hops log from other threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        """When the first line about a lost connection went out; None: no such outage."""
        self._last: dict[Key, float] = {}
        self._left_out: dict[Key, int] = {}
        self._left_total = 0

    def admit(self, key: Key, *, lost: bool) -> str | None:
        """The note to add to this line, or None to leave it out (said less than a minute
        ago). ``lost``: the connection was lost, so a working one ends the outage."""
        now = self._clock()
        with self._lock:
            if lost and self._since is None:
                # The outage begins here even when this line is left out (its loop said
                # "not answering" for another cause a moment ago), so that its end is said;
                # and it counts only its own left-out lines, not those of a spell before
                # it that had no end line (a full pool, a cancelled statement).
                self._since = now
                self._left_total = 0
            last = self._last.get(key)
            if last is not None and now - last < REPEAT_SECONDS:
                self._left_out[key] = self._left_out.get(key, 0) + 1
                self._left_total += 1
                return None
            self._last[key] = now
            repeats = self._left_out.pop(key, 0)
        if last is None or not repeats:
            return ""
        return f"; still, {repeats} such line(s) left out in the last {_duration(now - last)}"

    def answered(self) -> None:
        """A connection works: end an outage of lost connections with one line."""
        if self._since is None:  # the usual case, without the lock
            return
        with self._lock:
            since, left_out = self._since, self._left_total
            if since is None:
                return
            self._since = None
            self._last.clear()
            self._left_out.clear()
            self._left_total = 0
        log.info(
            "the database answers again (it did not for %s; %d repeated warning line(s) left out)",
            _duration(self._clock() - since),
            left_out,
        )


OUTAGES = OutageLog()


def watch(engine: AsyncEngine, outages: OutageLog = OUTAGES) -> None:
    """Tell ``outages`` whenever ``engine``'s pool hands out a connection — one that just
    logged in or answered its pre-ping, so the database answers."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _answered(*_args: Any) -> None:
        outages.answered()


class OutageLogLines(logging.Filter):
    """A record whose exception is an outage: one WARNING line, no traceback, not repeated
    more than once a minute (see the module's docstring)."""

    def __init__(self, outages: OutageLog = OUTAGES) -> None:
        super().__init__()
        self.outages = outages

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "outage_left_out", False):
            return False  # another handler's filter counted it already
        error = record.exc_info[1] if record.exc_info else None
        reason = unavailable(error) if error is not None else None
        if error is None or reason is None:
            return True
        message = record.getMessage()
        note = self.outages.admit((record.name, message), lost=connection_lost(error))
        if note is None:
            record.outage_left_out = True
            return False
        record.msg = f"{message} (the database is not answering: {reason}{note})"
        record.args = None
        record.exc_info = record.exc_text = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
