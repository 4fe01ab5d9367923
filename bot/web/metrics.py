"""``/metrics``: Prometheus counts of leads, outbox, directory, timers and API results.

Counts only, never personal data. The gauges are read from the database in one session;
when it does not answer, ``leadbot_database_up`` is 0 and the process's own counters are
still reported. (Split from :mod:`bot.web.ops`, which keeps ``/healthz`` and the access log.)
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

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
from bot.web.ops import PROMETHEUS_CONTENT_TYPE, access_log

router = APIRouter(tags=["operations"])


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
