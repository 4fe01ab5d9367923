"""The HTTP edge of the emulators: how a request becomes parameters, and a reply a response.

Both platforms accept query strings, form bodies (what python-telegram-bot and Slack's
form clients send), multipart and JSON; handlers see one merged parameter dict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ApiRequest:
    """An API call as the handlers see it: parameters merged from query, form and JSON."""

    method: str
    params: dict[str, Any]
    headers: Mapping[str, str]
    path_token: str | None = None  # Telegram carries the token in the URL path


@dataclass
class Reply:
    """What an emulator answers: a JSON body, an HTTP status and extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def to_response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)


class BadBody(Exception):
    """The request body could not be read as the declared content type."""


async def read_params(request: web.Request) -> tuple[dict[str, Any], str]:
    """Parameters from the query string and a JSON, form or multipart body, and the format.

    Form values stay strings, as the platforms receive them; each emulator converts the
    fields it knows (ids, booleans, JSON-encoded objects).
    """
    params: dict[str, Any] = dict(request.query)
    body_format = "query"
    if not request.can_read_body:
        return params, body_format
    ctype = request.content_type
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key in form:
            value = form[key]
            if isinstance(value, web.FileField):
                data = value.file.read()
                value = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": len(data),
                    "data": data,  # tests check what arrived (e.g. a PNG signature)
                }
            params[key] = value
        return params, "form" if ctype.endswith("urlencoded") else "multipart"
    raw = await request.read()
    if not raw.strip():
        return params, body_format
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadBody("the JSON body must be an object")
    params.update(body)
    return params, "json"
