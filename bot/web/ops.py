"""Operations endpoints and the request log: ``/healthz``, ``/metrics``, access lines.

Nothing here may leak a secret or personal data: health reports name the failing
dependency and the error *type* only (a connection error's text can carry the URL with
its password), metrics are counts, and the access log line is method, path (no query
string), status and duration — never headers or bodies. The path comes from the client,
so it is escaped and capped (:func:`bot.logsafe.printable`): ``/x%0a...`` cannot start a
forged log line. A client that hangs up before its body arrived is one quiet INFO line,
not a traceback and not a ``500``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.crm import tombstones
from bot.crm.tombstones import key_fits
from bot.health import State
from bot.logsafe import printable
from bot.models import (
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    Partner,
    Rep,
    Timer,
    WebhookDelivery,
    WebhookStatus,
)
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
    parts = {
        name: {"state": str(report.state), "detail": report.detail, "since": report.since}
        for name, report in sorted(runtime.health.reports().items())
    }
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


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}" if inner else ""


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self, name: str, kind: str, help_text: str, samples: list[tuple[dict, float]]
    ) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        self.lines += [f"{name}{_labels(**labels)} {value:g}" for labels, value in samples]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


async def _gauges(runtime: Runtime, out: _Exposition) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        leads = dict(
            (await session.execute(select(Lead.status, func.count()).group_by(Lead.status))).all()
        )
        outbox = (
            await session.execute(
                select(OutboxMessage.platform, OutboxMessage.status, func.count()).group_by(
                    OutboxMessage.platform, OutboxMessage.status
                )
            )
        ).all()
        oldest = await session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING
            )
        )
        partners = dict(
            (
                await session.execute(select(Partner.active, func.count()).group_by(Partner.active))
            ).all()
        )
        reps = dict(
            (await session.execute(select(Rep.active, func.count()).group_by(Rep.active))).all()
        )
        timers_due = await session.scalar(
            select(func.count()).where(Timer.done_at.is_(None), Timer.due_at <= now)
        )
        hooks = (
            await session.execute(
                select(WebhookDelivery.endpoint, WebhookDelivery.status, func.count()).group_by(
                    WebhookDelivery.endpoint, WebhookDelivery.status
                )
            )
        ).all()
        hooks_oldest = await session.scalar(
            select(func.min(WebhookDelivery.created_at)).where(
                WebhookDelivery.status == WebhookStatus.PENDING
            )
        )
    out.metric(
        "leadbot_leads",
        "gauge",
        "Leads by lifecycle status.",
        [({"status": s.value}, leads.get(s, 0)) for s in LeadStatus],
    )
    totals: Counter[str] = Counter()
    for _platform, status, n in outbox:
        totals[OutboxStatus(status).value] += n
    out.metric(
        "leadbot_outbox_messages",
        "gauge",
        "Outbox rows by platform and status (failed rows need staff attention).",
        [({"platform": p, "status": OutboxStatus(s).value}, n) for p, s, n in sorted(outbox)],
    )
    out.metric(
        "leadbot_outbox_pending", "gauge", "Notices waiting to be sent.", [({}, totals["pending"])]
    )
    out.metric(
        "leadbot_outbox_failed", "gauge", "Notices that failed for good.", [({}, totals["failed"])]
    )
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    out.metric(
        "leadbot_outbox_oldest_pending_seconds",
        "gauge",
        "Age of the oldest waiting notice.",
        [({}, max(age, 0.0))],
    )
    out.metric(
        "leadbot_partners",
        "gauge",
        "Partners in the directory.",
        [
            ({"active": "true"}, partners.get(True, 0)),
            ({"active": "false"}, partners.get(False, 0)),
        ],
    )
    out.metric(
        "leadbot_reps",
        "gauge",
        "Partner reps in the directory.",
        [({"active": "true"}, reps.get(True, 0)), ({"active": "false"}, reps.get(False, 0))],
    )
    out.metric(
        "leadbot_timers_due", "gauge", "Timers due but not handled yet.", [({}, timers_due or 0)]
    )
    out.metric(
        "leadbot_webhook_deliveries",
        "gauge",
        "Webhook messages by endpoint and status (failed ones: leadbot webhooks status).",
        [
            ({"endpoint": e, "status": WebhookStatus(s).value}, n)
            for e, s, n in sorted(hooks, key=lambda row: (row[0], str(row[1])))
        ],
    )
    hooks_age = (now - hooks_oldest).total_seconds() if hooks_oldest is not None else 0.0
    out.metric(
        "leadbot_webhook_oldest_pending_seconds",
        "gauge",
        "Age of the oldest webhook message still waiting.",
        [({}, max(hooks_age, 0.0))],
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {PROMETHEUS_CONTENT_TYPE: {}}}},
)
async def metrics(request: Request) -> PlainTextResponse:
    """Counts only (leads by status, outbox, directory, timers, API results): no personal data."""
    runtime: Runtime = request.app.state.runtime
    out = _Exposition()
    try:
        await _gauges(runtime, out)
        up = 1
    except Exception as exc:
        access_log.warning("metrics: database query failed: %s", type(exc).__name__)
        up = 0
    out.metric(
        "leadbot_database_up", "gauge", "1 if the metrics query reached the database.", [({}, up)]
    )
    counters: Counter[str] = request.app.state.api_results
    out.metric(
        "leadbot_api_leads_total",
        "counter",
        "POST /api/leads requests by result, since this process started.",
        [({"result": r}, counters.get(r, 0)) for r in API_RESULTS],
    )
    out.metric(
        "leadbot_api_lead_batches_total",
        "counter",
        "Batches of valid POST /api/leads leads, one transaction each, whatever their "
        "outcome (new, already known, erased or failed), since this process started; fewer "
        "than the leads when leads arrived together and were stored together.",
        [({}, runtime.intake.transactions)],
    )
    out.metric(
        "leadbot_api_leads_waiting",
        "gauge",
        "POST /api/leads leads waiting for their turn to be stored.",
        [({}, runtime.intake.waiting)],
    )
    out.metric(
        "leadbot_api_crm_total",
        "counter",
        "GET and DELETE /api/leads requests by result, since this process started.",
        [({"result": r}, counters.get(f"crm_{r}", 0)) for r in CRM_RESULTS],
    )
    out.metric(
        "leadbot_http_database_unavailable_total",
        "counter",
        "Requests answered 503 because the database was not answering, or its schema was "
        "older than this leadbot needs, since this process started.",
        [({}, counters.get("database_unavailable", 0))],
    )
    return PlainTextResponse(out.text(), media_type=PROMETHEUS_CONTENT_TYPE)


API_RESULTS = ("created", "existing", "invalid", "gone", "unauthorized", "key_mismatch", "error")
CRM_RESULTS = ("read", "erased", "not_found", "gone", "invalid", "key_mismatch")
