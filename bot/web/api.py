"""The ASGI app: ``/api/leads``, ``/healthz``, ``/metrics``, and room for chat webhooks.

``POST /api/leads`` is here; reading and erasing leads (``GET``/``DELETE``) is
:mod:`bot.web.crm_api`; the token check and error shapes are :mod:`bot.web.common`.

``create_app(runtime)`` builds a fresh app around one :class:`~bot.runtime.Runtime` — no
module-level state — so tests, ``leadbot serve`` and several apps in one process do not
interfere. Chat platforms add their routes with ``routers=`` / ``mounts=`` (or
``app.include_router`` / ``app.mount`` on the returned app), long-running loops with
``background=`` (supervised: restarted after any error, :mod:`bot.supervisor`) and
startup/shutdown work with ``contexts=``; all of them run inside the
app's lifespan, so they start when the server starts and stop when it stops.

The lead endpoint checks the bearer token *before* it reads the body, so an anonymous
caller learns nothing about the contract, and it reads the body itself (at most
:data:`MAX_BODY_BYTES`) to answer malformed JSON with the same 422 shape as a bad field.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp

from bot import safejson, supervisor
from bot.actors import Actor
from bot.config import TombstoneKeyMismatch
from bot.crm.tombstones import HEALTH_DOWN, HEALTH_PART
from bot.dbfaults import unavailable
from bot.errors import Gone
from bot.health import State
from bot.intake.lenient import lenient_warnings
from bot.intake.partner_warnings import may_warn, unknown_partner_warnings
from bot.intake.problems import FieldProblem, validate_lead
from bot.intake.schema import LeadIn
from bot.intake.service import IntakeResult
from bot.intake.storing import store_batch
from bot.models import Channel, LeadStatus
from bot.runtime import Runtime
from bot.schema import schema_error
from bot.web import cockpit, crm_api, metrics, openapi, ops
from bot.web import unavailable as outage
from bot.web.common import Detail, ValidationFailed, invalid, require_token
from bot.web.common import problem as answer
from bot.web.slashes import TrailingSlashes
from bot.web.unavailable import OutagePage

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000

Background = Callable[[], Awaitable[None]]

ContextFactory = Callable[[], AbstractAsyncContextManager[Any]]

KEY_MISMATCH = (
    "leadbot cannot check this request against its erased leads: its tombstone key does "
    "not fit the database (LEADBOT_SERVER__TOMBSTONE_KEY, see the server's log); nothing "
    "was changed"
)


def _key_mismatch(request: Request, error: TombstoneKeyMismatch) -> JSONResponse:
    """``503`` for a request that needs the tombstones while this process's key does not
    fit them (recorded by another process after this one started, or changed on purpose):
    refused, not stored without the check. The log says what to fix; the caller gets no
    more than that the server is not set up right.

    No ``Retry-After``: trying again does not help until the process runs with the right
    key. ``/healthz`` shows part ``tombstone_key`` down (503: this process cannot take
    leads), and /metrics counts the request as ``key_mismatch`` — ``POST`` in
    leadbot_api_leads_total, ``GET``/``DELETE`` in leadbot_api_crm_total."""
    log.error("%s %s refused: %s", request.method, request.url.path, error)
    runtime: Runtime = request.app.state.runtime
    runtime.health.report(HEALTH_PART, State.DOWN, HEALTH_DOWN)
    if request.url.path.startswith("/api/leads"):  # the lead and CRM endpoints
        crm = "" if request.method == "POST" else "crm_"
        request.app.state.api_results[f"{crm}key_mismatch"] += 1
    return JSONResponse({"detail": KEY_MISMATCH}, status_code=503)


class FieldWarning(BaseModel):
    field: str
    msg: str
    type: str


class LeadAccepted(BaseModel):
    id: int
    status: LeadStatus
    warnings: list[FieldWarning] = Field(
        default=[],
        description="Loose values kept as given (a timeline such as 'Q1 2027', an unknown "
        "industry) and how teasers show them; for an unmatched lead, the partners its "
        "consent names that are not active partners. Empty when every value was understood.",
    )


def _invalid(request: Request, problems: Sequence[FieldProblem]) -> JSONResponse:
    return invalid(request, problems, "body")


def _body_problem(message: str, kind: str) -> FieldProblem:
    return FieldProblem((), message, kind)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"request body larger than {MAX_BODY_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"request body larger than {MAX_BODY_BYTES} bytes")
    return body


def _parse_json(body: bytes) -> tuple[Any, FieldProblem | None]:
    if not body.strip():
        return None, _body_problem("the request body is empty; send one lead as JSON", "missing")
    try:
        data = safejson.loads(body)
    except safejson.JsonProblem as exc:
        where = f" (line {exc.line}, column {exc.column})" if exc.line else ""
        return None, _body_problem(f"{exc.message}{where}", "json_invalid")
    if not isinstance(data, dict):
        message = "expected one lead as a JSON object (to send many, use 'leadbot leads import')"
        return None, _body_problem(message, "model_type")
    return data, None


async def _store(runtime: Runtime, lead: LeadIn) -> IntakeResult:
    """Queued with the leads arriving together, stored in one transaction with them
    (:mod:`bot.intake.batches`)."""
    actor = Actor.system(Channel.API)
    return await runtime.intake.store(lead, partial(store_batch, runtime, actor=actor))


leads_router = APIRouter(tags=["leads"])


@leads_router.post(
    "/api/leads",
    summary="Hand in one lead",
    status_code=201,
    response_model=LeadAccepted,
    dependencies=[Depends(require_token)],
    responses={
        200: {
            "model": LeadAccepted,
            "description": "Already known by external_id: the stored lead",
        },
        201: {"description": "Stored; the status says what happens next (offered, held, ...)"},
        401: {"model": Detail, "description": "Missing or wrong token, or none configured"},
        410: {
            "model": Detail,
            "description": "The external_id belonged to a lead that was erased; it is not "
            "taken in again",
        },
        413: {"model": Detail, "description": "Body larger than 1 MB"},
        422: {"model": ValidationFailed, "description": "Invalid lead: each bad field named"},
    },
    openapi_extra=openapi.REQUEST_BODY,
)
async def post_lead(request: Request, response: Response) -> Any:
    """Store a lead and route it: offered to partners, or held (no consent, possible duplicate).

    Idempotent by ``external_id``: sending the same lead again returns the stored one
    with ``200``, however its status has moved on since. The ``external_id`` of an erased
    lead gets ``410``; a new lead with an erased lead's contact e-mail is held.
    """
    runtime: Runtime = request.app.state.runtime
    data, problem = _parse_json(await _read_body(request))
    if problem is not None:
        return _invalid(request, [problem])
    try:
        lead, problems = validate_lead(data, runtime.settings)
        if lead is None:
            return _invalid(request, problems)
        result = await _store(runtime, lead)
    except Gone as exc:
        return answer(request, 410, str(exc), "gone")
    except TombstoneKeyMismatch as exc:
        return _key_mismatch(request, exc)
    except Exception as exc:
        if unavailable(exc) and not schema_error(exc):
            raise  # the app's one answer to an outage: 503 (bot.web.unavailable)
        behind = await outage.schema_behind(request, exc)
        if behind is not None:
            return behind  # 503: the database is older than this code, `leadbot migrate`
        # Never the message: database errors quote the statement's parameters (personal data).
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("storing a lead failed: %s\n%s", type(exc).__name__, frames)
        request.app.state.api_results["error"] += 1
        return JSONResponse({"detail": "internal error; the lead was not stored"}, 500)
    request.app.state.api_results["created" if result.created else "existing"] += 1
    response.status_code = 201 if result.created else 200
    warnings = (
        [
            FieldWarning(field=w.field, msg=w.message, type=w.type)
            for w in [
                *lenient_warnings(lead, runtime.clock.now()),
                *await _unknown_partners(runtime, lead, result.status),
            ]
        ]
        if result.created
        else []
    )
    return LeadAccepted(id=result.lead_id, status=result.status, warnings=warnings)


async def _unknown_partners(
    runtime: Runtime, lead: LeadIn, status: LeadStatus
) -> list[FieldProblem]:
    """The partners an unmatched lead's consent names that are not active partners
    (:mod:`bot.intake.partner_warnings`), read after the lead was stored."""
    if not may_warn(lead, status):
        return []
    try:  # the lead is stored: a failing read costs the warning, never the answer
        async with runtime.sessions() as session:
            [warning] = await unknown_partner_warnings(session, [(lead, status)])
    except Exception as exc:
        log.warning("the partners of lead warnings could not be read: %s", type(exc).__name__)
        return []
    return [warning] if warning else []


def _version() -> str:
    try:
        return version("leadbot")
    except PackageNotFoundError:
        return "0"


def create_app(
    runtime: Runtime,
    *,
    routers: Sequence[APIRouter] = (),
    mounts: Sequence[tuple[str, ASGIApp]] = (),
    background: Sequence[Background] = (),
    contexts: Sequence[ContextFactory] = (),
    outage_pages: Mapping[str, OutagePage] | None = None,
) -> FastAPI:
    """The bot's HTTP app. The caller owns ``runtime`` (and closes it after the server).

    ``background``: coroutine functions run as supervised tasks for the app's lifetime
    (the outbox sender, the scheduler), restarted with backoff after an error and shown
    in ``/healthz`` as ``task:<__name__>`` (:mod:`bot.supervisor`; name them with
    ``supervisor.named``); cancelled at shutdown. ``contexts``: factories of async
    context managers entered at startup, in order, and exited at shutdown, in reverse
    (e.g. a chat SDK's client session). ``outage_pages``: pages for people that say the
    database is not answering, per path prefix (the cockpit's is always there).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for factory in contexts:
                await stack.enter_async_context(factory())
            tasks = supervisor.start(background, runtime.health, runtime.schema)
            try:
                yield
            finally:
                await supervisor.stop(tasks)

    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN onto the origin of
    # the staff cockpit, where such a script could read its pages with the staff member's
    # cookie. The contract is /openapi.json, for a viewer outside the server.
    app = FastAPI(
        title="leadbot", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.runtime = runtime
    app.state.api_results = Counter()
    app.include_router(leads_router)
    app.include_router(crm_api.router)
    app.include_router(ops.router)
    app.include_router(metrics.router)
    app.include_router(cockpit.router)
    cockpit.install(app)
    for router in routers:
        app.include_router(router)
    for path, mounted in mounts:
        app.mount(path, mounted)
    outage.install(app, {cockpit.PREFIX: cockpit.outage_page, **(outage_pages or {})})
    app.add_exception_handler(TombstoneKeyMismatch, _key_mismatch)  # type: ignore[arg-type]
    app.add_middleware(TrailingSlashes)  # inside AccessLog: the log shows the path as sent
    app.add_middleware(ops.AccessLog)
    openapi.install(app, _version(), runtime.settings)
    return app
