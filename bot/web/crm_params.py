"""The query and path parameters of the CRM API (:mod:`bot.web.crm_api`), read and checked
here rather than by FastAPI so that a bad one gets the API's one 422 shape, naming it.
Their rules are stated in the OpenAPI document (:mod:`bot.web.openapi`)."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import Request

from bot.chat.ids import database_id
from bot.crm.paging import DEFAULT_LIMIT, MAX_LIMIT, Position
from bot.intake.external_id import canonical_external_id
from bot.intake.problems import FieldProblem
from bot.intake.schema import in_utc
from bot.intake.types import timestamp_fault
from bot.plaintext import bad_character, trim

GET_PARAMETERS = frozenset({"external_id", "updated_since", "limit", "cursor"})
DELETE_PARAMETERS = frozenset({"external_id"})


class BadParameter(Exception):
    """One parameter is wrong: where it was (``query``/``path``), its name and why."""

    def __init__(self, where: str, name: str, message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.where = where
        self.problem = FieldProblem((name,), message, kind)


def only(request: Request, allowed: frozenset[str]) -> dict[str, str]:
    """The query parameters, each at most once, none unknown."""
    values: dict[str, str] = {}
    for name in request.query_params:
        given = request.query_params.getlist(name)
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise BadParameter("query", name, f"unknown parameter (known: {known})", "extra")
        if len(given) > 1:
            raise BadParameter("query", name, "given more than once")
        values[name] = given[0]
    return values


def lead_id_of(request: Request) -> int:
    text = request.path_params.get("lead_id", "")
    lead_id = database_id(int(text)) if re.fullmatch(r"[0-9]{1,19}", text) else None
    if lead_id is None:
        raise BadParameter("path", "lead_id", "must be a lead id (a whole number from 1)")
    return lead_id


def external_id_of(values: dict[str, str]) -> str | None:
    """The ``external_id`` to look up, checked as ``POST /api/leads`` checks it (a NUL byte
    would otherwise reach PostgreSQL, which refuses it with a 500)."""
    value = values.get("external_id")
    if value is None:
        return None
    if not trim(value) or len(value) > 200:
        raise BadParameter("query", "external_id", "must be 1 to 200 characters")
    refused = bad_character(value)
    if refused is not None:
        raise BadParameter("query", "external_id", refused)
    try:  # as stored: without invisible characters at its ends, in Unicode NFC
        return canonical_external_id(trim(value))
    except ValueError as exc:
        raise BadParameter("query", "external_id", str(exc)) from None


def updated_since(values: dict[str, str]) -> datetime | None:
    text = values.get("updated_since")
    if text is None:
        return None
    # A "+01:00" offset sent unencoded in a query string arrives as " 01:00".
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text.strip())
    fault = timestamp_fault(text)
    if fault is not None:
        raise BadParameter("query", "updated_since", fault)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadParameter(
            "query",
            "updated_since",
            "must be an ISO 8601 time with a time zone, e.g. 2026-03-01T10:00:00Z "
            "(write + as %2B in a URL)",
        )
    try:
        return in_utc(value)
    except ValueError as exc:
        raise BadParameter("query", "updated_since", str(exc)) from None


def page_limit(values: dict[str, str]) -> int:
    text = values.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,9}", text.strip()) or not 1 <= int(text) <= MAX_LIMIT:
        raise BadParameter("query", "limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def cursor_of(values: dict[str, str]) -> Position | None:
    text = values.get("cursor")
    if text is None:
        return None
    try:
        return Position.parse(text.strip())
    except ValueError as exc:
        raise BadParameter("query", "cursor", str(exc)) from None
