"""The ASGI app: ``POST /api/leads``, ``/healthz``, ``/metrics``, and room for chat webhooks.

``create_app(runtime)`` builds a fresh app around one :class:`~bot.runtime.Runtime` — no
module-level state — so tests, ``leadbot serve`` and several apps in one process do not
interfere. Chat platforms add their routes with ``routers=`` / ``mounts=`` (or
``app.include_router`` / ``app.mount`` on the returned app), long-running loops with
``background=`` and startup/shutdown work with ``contexts=``; all of them run inside the
app's lifespan, so they start when the server starts and stop when it stops.

The lead endpoint checks the bearer token *before* it reads the body, so an anonymous
caller learns nothing about the contract, and it reads the body itself (at most
:data:`MAX_BODY_BYTES`) to answer malformed JSON with the same 422 shape as a bad field.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp

from bot import safejson
from bot.actors import Actor
from bot.intake.problems import FieldProblem, validate_lead
from bot.intake.schema import LeadIn
from bot.intake.service import IntakeResult, receive
from bot.models import Channel, Lead, LeadStatus
from bot.runtime import Runtime
from bot.web import cockpit, openapi, ops

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000

Background = Callable[[], Awaitable[None]]
ContextFactory = Callable[[], AbstractAsyncContextManager[Any]]


class LeadAccepted(BaseModel):
    id: int
    status: LeadStatus


class Detail(BaseModel):
    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    field: str
    msg: str
    type: str


class ValidationFailed(BaseModel):
    detail: list[FieldError]


bearer = HTTPBearer(auto_error=False, description="The API token (LEADBOT_SERVER__API_TOKEN)")


def _unauthorized(request: Request, message: str) -> HTTPException:
    request.app.state.api_results["unauthorized"] += 1
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def require_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> None:
    """Bearer token, compared in constant time. No token configured: nobody gets in."""
    runtime: Runtime = request.app.state.runtime
    expected = runtime.settings.server.api_token
    if expected is None or not expected.get_secret_value():
        raise _unauthorized(
            request,
            "the API token is not configured on this server; "
            "set LEADBOT_SERVER__API_TOKEN and restart",
        )
    if credentials is None:
        raise _unauthorized(request, "missing token: send 'Authorization: Bearer <API token>'")
    given = credentials.credentials.encode()
    if not secrets.compare_digest(given, expected.get_secret_value().encode()):
        raise _unauthorized(request, "invalid API token")


def _invalid(request: Request, problems: Sequence[FieldProblem]) -> JSONResponse:
    request.app.state.api_results["invalid"] += 1
    detail = [
        {
            "loc": ["body", *p.loc],
            "field": p.field if p.loc else "body",
            "msg": p.message,
            "type": p.type,
        }
        for p in problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


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
    try:
        async with runtime.uow() as uow:
            result = await receive(uow, lead, Actor.system(Channel.API))
            await uow.commit()
            return result
    except IntegrityError:
        # Two requests with the same new external_id at once: the loser returns the winner's.
        if lead.external_id is None:
            raise
        async with runtime.uow() as uow:
            existing = await uow.session.scalar(
                select(Lead).where(Lead.external_id == lead.external_id)
            )
        if existing is None:
            raise
        return IntakeResult(existing.id, existing.status, created=False)


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
        413: {"model": Detail, "description": "Body larger than 1 MB"},
        422: {"model": ValidationFailed, "description": "Invalid lead: each bad field named"},
    },
    openapi_extra=openapi.REQUEST_BODY,
)
async def post_lead(request: Request, response: Response) -> Any:
    """Store a lead and route it: offered to partners, or held (no consent, possible duplicate).

    Idempotent by ``external_id``: sending the same lead again returns the stored one
    with ``200``, however its status has moved on since.
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
    except Exception as exc:
        # Never the message: database errors quote the statement's parameters (personal data).
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("storing a lead failed: %s\n%s", type(exc).__name__, frames)
        request.app.state.api_results["error"] += 1
        return JSONResponse({"detail": "internal error; the lead was not stored"}, 500)
    request.app.state.api_results["created" if result.created else "existing"] += 1
    response.status_code = 201 if result.created else 200
    return LeadAccepted(id=result.lead_id, status=result.status)


async def _guard(name: str, job: Background) -> None:
    """Run a background loop; a crash is logged (the loops themselves retry their errors)."""
    try:
        await job()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task %s stopped with an error", name)


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
) -> FastAPI:
    """The bot's HTTP app. The caller owns ``runtime`` (and closes it after the server).

    ``background``: coroutine functions run as tasks for the app's lifetime (the outbox
    sender, the scheduler); cancelled at shutdown. ``contexts``: factories of async
    context managers entered at startup, in order, and exited at shutdown, in reverse
    (e.g. a chat SDK's client session).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for factory in contexts:
                await stack.enter_async_context(factory())
            tasks = [
                asyncio.create_task(_guard(getattr(job, "__qualname__", repr(job)), job))
                for job in background
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(title="leadbot", version=_version(), lifespan=lifespan)
    app.state.runtime = runtime
    app.state.api_results = Counter()
    app.include_router(leads_router)
    app.include_router(ops.router)
    app.include_router(cockpit.router)
    for router in routers:
        app.include_router(router)
    for path, mounted in mounts:
        app.mount(path, mounted)
    app.add_middleware(ops.AccessLog)
    openapi.install(app, _version(), runtime.settings)
    return app
