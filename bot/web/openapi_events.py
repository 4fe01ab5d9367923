"""The parts of the OpenAPI document that are not about the lead itself.

``webhooks`` (OpenAPI 3.1): one entry per event leadbot sends to CRM endpoints, with the
Standard Webhooks headers a receiver checks; and the 503 every ``/api`` operation may
answer during a database outage. :mod:`bot.web.openapi` assembles them into the document.
"""

from __future__ import annotations

from typing import Any

from bot.config import TEST_EVENT, WEBHOOK_EVENTS

OUTAGE_RESPONSE: dict[str, Any] = {
    "description": "The database is not answering (stalled, unreachable, locked), or its "
    "schema is older than this leadbot needs (the detail names both revisions; the operator "
    "runs `leadbot migrate`); nothing was changed unless a retry shows otherwise. Try again "
    "after Retry-After seconds.",
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}},
}


def document_outages(schema: dict[str, Any]) -> None:
    """Every ``/api`` operation may answer 503 (bot.web.unavailable), so each one says so."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("503", OUTAGE_RESPONSE)


WEBHOOK_HEADERS: dict[str, Any] = {
    name: {"required": True, "description": text, "schema": {"type": "string"}}
    for name, text in (
        ("webhook-id", "The message id: the same on every retry and replay (de-duplicate by it)."),
        ("webhook-timestamp", "Unix seconds of this attempt; refuse messages older than 5 min."),
        (
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed with the whsec_ secret "
            "(Standard Webhooks); space-separated when there are several.",
        ),
    )
}


def webhooks_section() -> dict[str, Any]:
    """OpenAPI 3.1 ``webhooks``: one entry per event leadbot sends (docs/crm.md)."""
    out: dict[str, Any] = {}
    for event in (*WEBHOOK_EVENTS, TEST_EVENT):
        about = (
            "A signed test message (`leadbot webhooks test NAME`); `data` is a made-up lead."
            if event == TEST_EVENT
            else f"Sent after the change to every `[[webhooks]]` endpoint subscribed to `{event}`."
        )
        out[event] = {
            "post": {
                "summary": event,
                "description": about + " Answer 2xx; 408, 429 and 5xx are retried with "
                "exponential backoff (Retry-After honoured), other 4xx are final.",
                "parameters": [
                    {"name": name, "in": "header", **spec} for name, spec in WEBHOOK_HEADERS.items()
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["type", "timestamp", "data"],
                                "properties": {
                                    "type": {"type": "string", "const": event},
                                    "timestamp": {"type": "string", "format": "date-time"},
                                    "data": {"$ref": "#/components/schemas/LeadOut"},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "Received (any 2xx)"}},
            }
        }
    return out
