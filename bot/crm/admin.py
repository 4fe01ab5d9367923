"""What ``leadbot webhooks status|test|replay`` does, apart from printing.

* :func:`status`: per endpoint, how many deliveries wait, went out, failed, and the last
  failures with their errors; rows of endpoints no longer configured are counted apart.
* :func:`send_test`: one signed ``webhook.test`` message, sent at once (not queued).
* :func:`replay`: deliveries made since a time go back into the queue (with the same
  ``webhook-id``: receivers that already have one can drop it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.clock import SystemClock
from bot.config import TEST_EVENT, WebhookEndpoint
from bot.crm.signing import secret_problem, signed_headers, signer
from bot.crm.view import iso
from bot.crm.webhook_post import answer_error, body_of, user_agent
from bot.logsafe import printable
from bot.models import WebhookDelivery, WebhookStatus
from bot.runtime import Runtime

D = WebhookDelivery


@dataclass
class Failure:
    id: int
    event_type: str
    lead_id: int
    attempts: int
    error: str | None


@dataclass
class EndpointStatus:
    """One endpoint's queue at ``now``. Its pending rows are told apart as the sender
    treats them: under a running lease (``leased``: being sent — or its sender died and
    they are sent again once the lease ends; nothing says which), whose lease ran out
    (``lapsed``: their sender stopped mid-send, the next one sends them again), waiting
    behind an earlier pending event of their lead (``behind``), and the rest, due at
    ``next_attempt`` (the earliest of them; a lapsed row counts among them)."""

    name: str
    hook: WebhookEndpoint | None  # None: rows of an endpoint no longer configured
    now: datetime
    counts: dict[WebhookStatus, int] = field(default_factory=dict)
    oldest_pending: datetime | None = None
    next_attempt: datetime | None = None
    leased: int = 0
    leased_until: datetime | None = None  # the end of the last running lease
    lapsed: int = 0
    lapsed_at: datetime | None = None  # when the last of the lapsed leases ran out
    behind: int = 0
    last_error: str | None = None
    failures: list[Failure] = field(default_factory=list)


def _waiting(endpoint: str, now: datetime) -> Select[Any]:
    """The pending rows of ``endpoint`` as :class:`EndpointStatus` tells them apart: the
    oldest; leased (and until when); lapsed (and when); behind; the next attempt. A row
    is free when its lease ended before ``now``, as the sender's ``_take`` sees it."""
    earlier = aliased(D)
    head = (
        select(func.min(earlier.id))
        .where(
            earlier.endpoint == D.endpoint,
            earlier.lead_id == D.lead_id,
            earlier.status == WebhookStatus.PENDING,
        )
        .scalar_subquery()
    )
    running = D.leased_until >= now
    lapsed = D.leased_until < now
    free = or_(D.leased_until.is_(None), lapsed)
    return select(
        func.min(D.created_at),
        func.count().filter(running),
        func.max(D.leased_until).filter(running),
        func.count().filter(lapsed),
        func.max(D.leased_until).filter(lapsed),
        func.count().filter(and_(free, D.id != head)),
        func.min(D.next_attempt_at).filter(and_(free, D.id == head)),
    ).where(D.endpoint == endpoint, D.status == WebhookStatus.PENDING)


async def status(runtime: Runtime, failures: int = 10) -> list[EndpointStatus]:
    hooks = {hook.name: hook for hook in runtime.settings.webhooks}
    now = runtime.clock.now()
    out = {name: EndpointStatus(name, hook, now) for name, hook in hooks.items()}
    async with runtime.uow() as uow:
        session = uow.session
        rows = await session.execute(
            select(D.endpoint, D.status, func.count()).group_by(D.endpoint, D.status)
        )
        for endpoint, state, count in rows.all():
            entry = out.setdefault(endpoint, EndpointStatus(endpoint, None, now))
            entry.counts[state] = count
        for entry in out.values():
            (
                entry.oldest_pending,
                entry.leased,
                entry.leased_until,
                entry.lapsed,
                entry.lapsed_at,
                entry.behind,
                entry.next_attempt,
            ) = (await session.execute(_waiting(entry.name, now))).one()
            entry.last_error = await session.scalar(
                select(D.last_error)
                .where(D.endpoint == entry.name, D.status == WebhookStatus.PENDING)
                .where(D.last_error.is_not(None))
                .order_by(D.id)
                .limit(1)
            )
            failed = await session.execute(
                select(D.id, D.event_type, D.lead_id, D.attempts, D.last_error)
                .where(D.endpoint == entry.name, D.status == WebhookStatus.FAILED)
                .order_by(D.id.desc())
                .limit(failures)
            )
            entry.failures = [Failure(*row) for row in failed.all()]
    return list(out.values())


@dataclass(frozen=True)
class TestResult:
    ok: bool
    text: str


SAMPLE_LEAD = {
    "id": 0,
    "external_id": "leadbot-test",
    "campaign": None,
    "source": None,
    "status": "offered",
    "hold_reason": None,
    "products": [],
    "partner": None,
    "rep": None,
    "claimed_via": None,
    "created_at": None,
    "updated_at": None,
    "offered_at": None,
    "claimed_at": None,
    "contacted_at": None,
    "closed_at": None,
    "erased_at": None,
    "revenue_eur": None,
    "lost_reason": None,
    "follow_up_on": None,
    "events": [],
}


async def send_test(hook: WebhookEndpoint, client: httpx.AsyncClient | None = None) -> TestResult:
    """Sign and send one ``webhook.test`` message to ``hook`` now."""
    problem = secret_problem(hook)
    if problem:
        return TestResult(False, problem)
    now = SystemClock().now()
    body = body_of({"type": TEST_EVENT, "timestamp": iso(now), "data": SAMPLE_LEAD})
    message = f"msg_lbtest{int(now.timestamp() * 1000)}"
    headers = {
        **signed_headers(signer(hook), message, now, body),
        "Content-Type": "application/json",
        "User-Agent": user_agent(),
    }
    own = client is None
    http = client or httpx.AsyncClient(follow_redirects=False)
    started = time.perf_counter()
    try:
        answer = await http.post(
            hook.url, content=body.encode(), headers=headers, timeout=hook.timeout_seconds
        )
    except httpx.TimeoutException:
        return TestResult(False, f"not delivered: no answer within {hook.timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return TestResult(False, f"not delivered: {type(exc).__name__}: {printable(exc, 200)}")
    finally:
        if own:
            await http.aclose()
    took = (time.perf_counter() - started) * 1000
    code = answer.status_code
    if 200 <= code < 300:
        return TestResult(True, f"delivered: HTTP {code} in {took:.0f} ms (webhook-id {message})")
    error = answer_error(code, answer.text, answer.headers.get("location"))
    return TestResult(False, f"refused: {error}")


async def replay(runtime: Runtime, since: datetime, endpoint: str | None = None) -> int:
    """Queue the deliveries made at or after ``since`` again (delivered and failed ones)."""
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        query = update(D).where(
            D.created_at >= since, D.status.in_((WebhookStatus.DELIVERED, WebhookStatus.FAILED))
        )
        if endpoint is not None:
            query = query.where(D.endpoint == endpoint)
        result = await uow.session.execute(
            query.values(
                status=WebhookStatus.PENDING,
                attempts=0,
                queued_at=now,
                next_attempt_at=now,
                leased_until=None,
                leased_by=None,
                last_error=None,
                delivered_at=None,
            ).execution_options(synchronize_session=False)
        )
        await uow.commit()
    await runtime.wake_webhooks()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
