"""A database that does not answer: recognise it, drop its connections fast, say so.

Timeouts alone (bot/db.py) are not enough to make a stalled database cheap:

* asyncpg raises a bare :class:`TimeoutError` when a command outlives its client-side
  limit. SQLAlchemy does not see that as a lost connection, so it would hand the same
  connection — still waiting for an answer that may never come — to the next request,
  or try to roll it back and wait again. :func:`install` marks such errors as a
  *disconnect*: the connection is invalidated and replaced by a fresh one next time,
  which is also how the bot recovers, without a restart, once the database is back.
* Invalidating a connection closes it "gracefully" by default: asyncpg first sends a
  cancel request and a goodbye and waits for the server — seconds more on a frozen
  network. A connection being thrown away has nothing left to say, so
  :func:`install` aborts its socket right away.

:func:`unavailable` tells the web layer (and the loops) whether an exception means "the
database is not answering" — a timeout, a lost or refused connection, a busy SQLite
lock, a statement the server cancelled — as opposed to a bug or bad data.

:func:`connection_lost` tells apart the outages a working connection ends (a timeout, a
cut, a refused connect) from a statement the server cancelled; :mod:`bot.outagelog`
keeps the log of an outage readable with both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "sqlite3.")
# SQLSTATE classes that mean "not now" rather than "wrong": 08 connection exception,
# 53 insufficient resources (too many connections), 57 operator intervention (a statement
# cancelled by statement_timeout, a server shutting down).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


class CancelledResetLine(logging.Filter):
    """The pool's "Exception during reset" for a reset cut short by a cancellation (a
    task stopped at shutdown while its connection went back to the pool): one WARNING
    line instead of an ERROR traceback. The pool discards such a connection itself; the
    traceback only made a normal shutdown look like a failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, asyncio.CancelledError):
            record.msg = "a connection's reset was cut short by a cancellation; it is discarded"
            record.args = None
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install(engine: AsyncEngine) -> None:
    """Treat client-side timeouts as lost connections, and drop lost ones without waiting."""
    sync_engine = engine.sync_engine
    pool_log = logging.getLogger(f"sqlalchemy.pool.impl.{type(sync_engine.pool).__name__}")
    if not any(isinstance(f, CancelledResetLine) for f in pool_log.filters):
        pool_log.addFilter(CancelledResetLine())

    @event.listens_for(sync_engine, "handle_error")
    def _timeout_is_disconnect(context: ExceptionContext) -> None:
        if isinstance(context.original_exception, TimeoutError | OSError):
            context.is_disconnect = True

    @event.listens_for(sync_engine.pool, "invalidate")
    def _abort_now(dbapi_connection: Any, _record: Any, _exc: BaseException | None) -> None:
        # asyncpg's own connection behind SQLAlchemy's adapter; abort() needs no answer.
        raw = getattr(dbapi_connection, "_connection", None)
        terminate = getattr(raw, "terminate", None)
        if terminate is not None and not getattr(raw, "is_closed", lambda: True)():
            with contextlib.suppress(Exception):
                terminate()


def _sqlstate(error: BaseException) -> str:
    for candidate in (error, getattr(error, "orig", None), error.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


def _from_driver(traceback: TracebackType | None) -> bool:
    """Was this raised inside SQLAlchemy or a database driver (not, say, an HTTP call)?"""
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.startswith(_DRIVER_MODULES):
            return True
        traceback = traceback.tb_next
    return False


def unavailable(error: BaseException) -> str | None:
    """The error type's name if ``error`` means the database is not answering, else None.

    The name (never the message: it can quote the URL or a statement's parameters) is
    what ``/healthz`` and the logs show.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_unavailable(current):
            return _name(current)
        current = current.__cause__
    return None


def _name(error: BaseException) -> str:
    """``DBAPIError(QueryCanceledError)``: SQLAlchemy's type and, if it says more, the
    driver's own (asyncpg's errors hide behind an adapter class called ``Error``)."""
    name = type(error).__name__
    orig = getattr(error, "orig", None)
    driver = getattr(orig, "__cause__", None) or orig
    if driver is None or type(driver).__name__ == name:
        return name
    return f"{name}({type(driver).__name__})"


def connection_lost(error: BaseException) -> bool:
    """Did ``error`` (an outage, :func:`unavailable`) lose or fail to open a connection, so
    that the next connection that works means the database answers again? A statement the
    server cancelled (its timeout, a lock), a busy SQLite file or a full pool did not."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and (
            current.connection_invalidated or _sqlstate(current).startswith("08")
        ):
            return True
        if isinstance(current, TimeoutError | OSError) and _from_driver(current.__traceback__):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError):  # no free connection in the pool in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True  # SQLite "database is locked", a closed connection, ...
        state = _sqlstate(error)
        return state.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
    if isinstance(error, TimeoutError | OSError):
        return _from_driver(error.__traceback__)
    return False
