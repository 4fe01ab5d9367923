"""The field types of the lead contract: printable text, whole numbers, ISO timestamps.

Each factory returns an ``Annotated`` type that validates strictly *and* states its rule in
the JSON schema pydantic generates (the OpenAPI document), so the two cannot drift:

* ``line`` / ``nonblank`` / ``paragraph``: text without control characters
  (:mod:`bot.plaintext`), trimmed; the length applies to the text as sent. An optional
  blank ``line`` is absent; a ``nonblank`` one is refused; a ``paragraph`` may hold line
  breaks and tabs.
* ``whole``: a JSON number without a fraction, within bounds (the bounds come first in the
  ``Annotated`` so the schema shows them as ``minimum``/``maximum``).
* ``timestamp``: an ISO 8601 string; pydantic alone would also take ``0`` or ``"0"`` as a
  Unix time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from bot.plaintext import (
    LINE_PATTERN,
    NONBLANK_PATTERN,
    PARAGRAPH_PATTERN,
    clean_line,
    clean_paragraph,
    required_line,
)

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _schema(**extra: Any) -> Any:
    return Field(json_schema_extra=extra)


def line(max_length: int, pattern: str = LINE_PATTERN) -> Any:
    return Annotated[
        str, Field(max_length=max_length), AfterValidator(clean_line), _schema(pattern=pattern)
    ]


def nonblank(max_length: int) -> Any:
    return Annotated[
        str,
        Field(min_length=1, max_length=max_length),
        AfterValidator(required_line),
        _schema(pattern=NONBLANK_PATTERN),
    ]


def paragraph(max_length: int) -> Any:
    return Annotated[
        str,
        Field(max_length=max_length),
        AfterValidator(clean_paragraph),
        _schema(pattern=PARAGRAPH_PATTERN),
    ]


def _whole_number(value: Any) -> Any:
    """A JSON number without a fraction (``329`` or ``329.0``, as JSON Schema's "integer"
    says); never ``true``/``false`` or text, which pydantic would otherwise coerce."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        raise ValueError("must be a whole number")
    if not isinstance(value, int):
        raise ValueError("must be a whole number (a JSON number, not text)")
    return value


def whole(maximum: int) -> Any:
    """A whole number from 0 to ``maximum`` (the bounds first, so the schema states them)."""
    return Annotated[int, Field(ge=0, le=maximum), BeforeValidator(_whole_number)]


def _timestamp(value: Any) -> Any:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError(
            "must be an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T10:00:00+01:00"
        )
    return value


def timestamp() -> Any:
    return Annotated[datetime, BeforeValidator(_timestamp)]
