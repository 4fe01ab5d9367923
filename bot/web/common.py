"""What every ``/api`` endpoint shares: the bearer token and the documented error shapes.

Errors are ``{"detail": "<message>"}`` (401, 404, 410, 413) or, for bad input, ``422``
with ``{"detail": [{"loc", "field", "msg", "type"}, ...]}`` naming each bad field — the
same shape for a bad body field (``loc`` starts with ``body``), query parameter
(``query``) or path parameter (``path``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from bot.intake.problems import FieldProblem
from bot.runtime import Runtime


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


SEND = "send 'Authorization: Bearer <API token>'"


def _why_no_credentials(header: str | None) -> str:
    """Why :data:`bearer` found no token in ``header``, for the 401.

    A CRM configured with ``Token abc`` or ``Basic …`` used to hear "missing token" and
    hunt for a header it had sent. The header is never quoted back: with no scheme, its
    one word may be the token itself."""
    words = (header or "").split()
    if not words:
        return f"missing token: {SEND}"
    if len(words) == 1 and words[0].lower() != "bearer":
        return f"the Authorization header has no scheme: {SEND}"
    if words[0].lower() != "bearer":
        return f"wrong authorization scheme: expected 'Bearer'; {SEND}"
    return f"missing token after 'Bearer': {SEND}"


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
        raise _unauthorized(request, _why_no_credentials(request.headers.get("authorization")))
    given = credentials.credentials.encode()
    if not secrets.compare_digest(given, expected.get_secret_value().encode()):
        raise _unauthorized(request, "invalid API token")


def invalid(
    request: Request,
    problems: Sequence[FieldProblem],
    where: str = "body",
    outcome: str = "invalid",
) -> JSONResponse:
    """``422`` naming each problem; ``where`` is body, query or path (counted as ``outcome``)."""
    request.app.state.api_results[outcome] += 1
    detail = [
        {
            "loc": [where, *p.loc],
            "field": p.field if p.loc else where,
            "msg": p.message,
            "type": p.type,
        }
        for p in problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def problem(request: Request, status: int, message: str, outcome: str) -> JSONResponse:
    """A ``{"detail": message}`` answer (404, 410, ...), counted in /metrics as ``outcome``."""
    request.app.state.api_results[outcome] += 1
    return JSONResponse({"detail": message}, status_code=status)
