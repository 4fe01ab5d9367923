"""A trailing slash on a machine endpoint is the same endpoint, not a redirect.

Starlette answers ``POST /api/leads/`` with a bodiless ``307`` to ``/api/leads``. Many
HTTP clients (and CRM webhook actions, Slack, Telegram) do not follow a redirect for a
POST, or follow it as a GET without the body: the lead is lost, and the sender sees no
error it can act on. So for the endpoints that machines call — ``/api/...``, ``/healthz``,
``/metrics``, ``/openapi.json``, ``/slack/...``, ``/telegram/...`` — trailing slashes are
dropped before routing: ``/api/leads/`` is ``/api/leads``, ``/api/leads/7/`` is
``/api/leads/7``. Pages for people (``/cockpit``, ``/email/act``) keep the redirect:
a browser follows it, and their relative links depend on the path they are shown at.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

MACHINE_PREFIXES = ("/api/", "/healthz/", "/metrics/", "/openapi.json/", "/slack/", "/telegram/")


def without_trailing_slash(path: str) -> str:
    """``/api/leads/`` -> ``/api/leads``; every other path unchanged."""
    if path.endswith("/") and path.startswith(MACHINE_PREFIXES):
        return path.rstrip("/") or "/"
    return path


class TrailingSlashes:
    """Pure ASGI: rewrites the path (and ``raw_path``) before the router sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = without_trailing_slash(scope["path"])
            if path != scope["path"]:
                raw = scope.get("raw_path")
                raw = raw.rstrip(b"/") if raw else None  # still percent-encoded
                scope = {**scope, "path": path, "raw_path": raw}
        await self.app(scope, receive, send)
