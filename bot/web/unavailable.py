"""One answer for every route when the database is not answering: ``503``, soon, clearly.

Routes do not handle database outages themselves. Whatever a route was doing, an error
that :func:`bot.dbfaults.unavailable` recognises (a timeout, a lost or refused
connection, SQLite's busy lock, a statement the server cancelled) reaches the exception
handlers installed here and becomes::

    503 Service Unavailable
    Retry-After: 5
    {"detail": "the database is not answering; try again shortly"}

— never a stack trace, never the driver's message (it can quote the database URL or a
lead's data). Pages people open in a browser (the cockpit, the e-mail links' pages)
register an :data:`OutagePage` for their path instead: the same 503 and ``Retry-After``
as a page in the reader's language, not a line of JSON. The process's health board marks the database ``down`` with the error type,
so ``/healthz`` shows it until its own check reaches the database again. Any other error
of these types is re-raised unchanged and stays the ``500`` it was.

A statement refused because a table or column does not exist is first checked against the
schema's revision: on a database older than this code (downgraded under a running
process) every route answers ``503`` with ``Retry-After`` and what to do —
``{"detail": "the database is not migrated for this leadbot: schema revision 0011, this
leadbot needs 0012: run `leadbot migrate`"}`` — and the health board marks the database
``down`` with the same words. A page for people is given the reading of the revision and
says it in its own words (the cockpit: both revisions and ``leadbot migrate``). Once someone ran ``leadbot migrate`` the next request works;
no restart. The check reads one row, and only after such an error: the requests of a
working database never pay for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc

from bot.dbfaults import unavailable
from bot.health import State
from bot.logsafe import printable
from bot.runtime import Runtime
from bot.schema import SchemaCheck, schema_error

log = logging.getLogger("leadbot.database")

RETRY_AFTER_SECONDS = 5
MESSAGE = "the database is not answering; try again shortly"
SCHEMA_MESSAGE = "the database is not migrated for this leadbot"
COUNTER = "database_unavailable"
"""Key in ``app.state.api_results``: /metrics shows it as leadbot_http_database_unavailable_total."""
HANDLED: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    TimeoutError,
    OSError,
)
"""Exception types that can mean an outage; :func:`bot.dbfaults.unavailable` decides."""

OutagePage = Callable[[Request, SchemaCheck | None], Response]
"""A page saying the database is not answering (``None``) or is behind the code (the
reading of its revision), for people; it must not need the database (the settings say its
language). Registered per path prefix with :func:`install`."""


def database_unavailable(request: Request, error: BaseException) -> Response | None:
    """The ``503`` for ``error`` if it means the database is not answering, else None."""
    reason = unavailable(error)
    if reason is None:
        return None
    return _answer_503(request, "the database is not answering", reason, MESSAGE, None)


async def schema_behind(request: Request, error: BaseException) -> Response | None:
    """The ``503`` for ``error`` if it came from a database older than this code (or one
    without a schema), else None. Reads the revision on a connection of its own, bounded
    like ``/healthz``'s check (:meth:`bot.schemawatch.SchemaWatch.read`); a database that
    does not answer that is left to :func:`database_unavailable`."""
    if not schema_error(error):
        return None
    runtime: Runtime = request.app.state.runtime
    schema = await runtime.schema.read()
    if schema is None or not schema.refused:
        return None  # not answering (the other handler's), or current: a bug, the usual 500
    detail = schema.health_detail()
    said = "the database is not migrated for this leadbot"
    return _answer_503(request, said, detail, f"{SCHEMA_MESSAGE}: {detail}", schema)


def _answer_503(
    request: Request, said: str, detail: str, message: str, schema: SchemaCheck | None
) -> Response:
    """The database part ``down`` with ``detail``, one WARNING line, and the answer: the
    path's page for people (:func:`install`), else ``{"detail": message}``; ``Retry-After``."""
    runtime: Runtime = request.app.state.runtime
    runtime.health.report("database", State.DOWN, detail)
    request.app.state.api_results[COUNTER] += 1
    log.warning(
        "%s %s: %s (%s); answered 503",
        printable(request.method, 16),
        printable(request.url.path),
        said,
        detail,
    )
    page = _page_for(request)
    answer = (
        JSONResponse({"detail": message}, status_code=503)
        if page is None
        else page(request, schema)
    )
    answer.status_code = 503
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


def _page_for(request: Request) -> OutagePage | None:
    """The page registered for the longest prefix of the request's path, if any."""
    pages: Mapping[str, OutagePage] = getattr(request.app.state, "outage_pages", {})
    path = request.url.path
    found = [p for p in pages if path == p or path.startswith(p.rstrip("/") + "/")]
    return pages[max(found, key=len)] if found else None


async def _handler(request: Request, error: Exception) -> Response:
    answer = await schema_behind(request, error)
    if answer is None and schema_error(error):
        # The database answered "no such column" on a schema that is current: a bug, not an
        # outage (SQLite says it as an OperationalError, the type of a locked database).
        raise error
    if answer is None:
        answer = database_unavailable(request, error)
    if answer is None:
        raise error  # not an outage: the usual 500, with its traceback in the log
    return answer


def install(app: FastAPI, pages: Mapping[str, OutagePage] | None = None) -> None:
    """Answer database outages with ``503`` in every route of ``app`` (mounts included);
    under a path prefix of ``pages`` with that page, elsewhere with the JSON above."""
    app.state.outage_pages = dict(pages or {})
    for kind in HANDLED:
        app.add_exception_handler(kind, _handler)
