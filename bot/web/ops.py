"""Operations endpoints and the request log: ``/healthz`` and the access lines
(``/metrics`` is :mod:`bot.web.metrics`).

Nothing here may leak a secret or personal data: health reports name the failing
dependency and the error *type* only (a connection error's text can carry the URL with
its password), and the access log line is method, path (no query
string), status and duration — never headers or bodies. The path comes from the client,
so it is escaped and capped (:func:`bot.logsafe.printable`): ``/x%0a...`` cannot start a
forged log line. A client that hangs up before its body arrived is one quiet INFO line,
not a traceback and not a ``500``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.crm import tombstones
from bot.crm.tombstones import key_fits
from bot.health import Report, State
from bot.logsafe import printable
from bot.runtime import Runtime
from bot.schema import Verdict, check, read_revision

access_log = logging.getLogger("leadbot.http")
CHECK_TIMEOUT_SECONDS = 3.0
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

router = APIRouter(tags=["operations"])


class AccessLog:
    """One log line per request: ``POST /api/leads 201 12ms``. Pure ASGI, no body access."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | str = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except ClientDisconnect:
            # Nobody is left to answer; nothing was processed (the body was incomplete).
            status = "client-disconnected"
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s %s %.0fms",
                printable(scope["method"], 16),
                printable(scope["path"]),
                status,
                elapsed_ms,
            )


async def _database(runtime: Runtime) -> dict[str, Any]:
    """Reach the database within CHECK_TIMEOUT_SECONDS and read its schema revision on the
    same connection; the health board's "database" part follows this check (a request that
    met an outage or an old schema set it down: bot.web.unavailable).

    A schema older than this code (someone downgraded it, or a newer leadbot's rollback
    went further back than this process) is ``down``: "schema revision 0011, this leadbot
    needs 0012: run `leadbot migrate`" — the process cannot do its work. A newer one (a
    newer leadbot migrated it while this process runs, as in a rolling upgrade) is
    ``degraded``: this process works on it, and should be replaced by the newer version."""
    result: dict[str, Any] = {"ok": False, "backend": runtime.engine.dialect.name}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            schema = check(await conn.run_sync(read_revision))
            fits = await _key_fits(conn, runtime) if not schema.refused else None
    except Exception as exc:
        result["error"] = type(exc).__name__
        runtime.health.report("database", State.DOWN, result["error"])
        return result
    if schema.found is not None:
        result.update(revision=schema.found, needs=schema.needed)
    if schema.refused:
        result["error"] = schema.health_detail()
        runtime.health.report("database", State.DOWN, result["error"])
        return result
    result["ok"] = True
    if schema.verdict is Verdict.UNKNOWN:
        result["warning"] = schema.health_detail()
        runtime.health.report("database", State.DEGRADED, result["warning"])
    else:
        runtime.health.report("database", State.OK)
    if fits is True:
        runtime.health.report(tombstones.HEALTH_PART, State.OK)
    elif fits is False:
        runtime.health.report(tombstones.HEALTH_PART, State.DOWN, tombstones.HEALTH_DOWN)
    return result


async def _key_fits(conn: AsyncConnection, runtime: Runtime) -> bool | None:
    """Part ``tombstone_key``, asked on the database check's own connection: ``down`` while
    this process's key does not fit the database (another process recorded its own after
    this one started, or ``leadbot tombstones reset-key`` ran): every intake and erasure is
    refused with 503 then, so the process cannot do its work. Asked on every check, so it
    comes back ``ok`` once the key fits again; a request refused meanwhile sets it ``down``
    at once (bot.web.api). None: not checked (the database check answers for the database)."""
    try:
        return await key_fits(conn, runtime.settings)
    except Exception as exc:
        access_log.warning("healthz: the tombstone key was not checked: %s", type(exc).__name__)
        return None


async def _redis(runtime: Runtime) -> dict[str, Any]:
    """Redis answers? Without it the bot works on its fallbacks (degraded, not down);
    the ping also tells the coordination that Redis is back (part ``"redis"``)."""
    if not runtime.settings.redis.url:
        return {"ok": True, "configured": False}
    ping = getattr(runtime.coordination, "ping", None)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            ok = bool(await ping()) if ping is not None else False
    except Exception as exc:
        return {"ok": False, "configured": True, "error": type(exc).__name__}
    return {"ok": ok, "configured": True}


def _part(report: Report) -> dict[str, Any]:
    """One part as ``/healthz`` shows it; a background task that reports its passes also
    says when one last worked (``last_pass``; ``null`` before the first)."""
    shown: dict[str, Any] = {
        "state": str(report.state),
        "detail": report.detail,
        "since": report.since,
    }
    if report.progress is not None:
        shown["last_pass"] = report.progress.last_pass
    return shown


@router.get(
    "/healthz",
    summary="Is the bot able to work?",
    responses={503: {"description": "The database is not available, or a part is down"}},
)
async def healthz(request: Request) -> JSONResponse:
    """Checks the database (reachable, and migrated to the schema revision this leadbot
    needs: an older one is 503, a newer one 200 ``"degraded"``), that this process's
    tombstone key fits it (part ``tombstone_key``; down: 503) and, when configured, Redis
    (without it the answer is 200 ``"degraded"``: the bot runs on its fallbacks)."""
    runtime: Runtime = request.app.state.runtime
    database, redis = await asyncio.gather(_database(runtime), _redis(runtime))
    ok = database["ok"]  # Redis failing degrades the service (fallbacks), it is not down
    parts = {name: _part(report) for name, report in sorted(runtime.health.reports().items())}
    worst = runtime.health.worst()
    if not redis["ok"] and worst == State.OK:
        worst = State.DEGRADED
    ok = ok and worst != State.DOWN
    status = "unavailable" if not ok else ("degraded" if worst == State.DEGRADED else "ok")
    body = {"status": status, "checks": {"database": database, "redis": redis}, "parts": parts}
    return JSONResponse(jsonable_encoder(body), status_code=200 if ok else 503)


@router.head("/healthz", include_in_schema=False)
async def healthz_head(request: Request) -> Response:
    """The same check for load balancers that ask with ``HEAD``: the status, no body."""
    return Response(status_code=(await healthz(request)).status_code)
