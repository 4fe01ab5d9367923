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
  Unix time. A part out of its range (hour 24, a 30 February, an offset of +24:00) is named
  with what is allowed (:func:`timestamp_fault`), not in pydantic's words ("unexpected extra
  characters at the end of the input" for an hour 24).
"""

from __future__ import annotations

import calendar
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


TIMESTAMP_RULE = "must be an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T10:00:00+01:00"

_PARTS = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"(?:[Zz]|(?P<offset>[+-](?P<oh>\d{2}):?(?P<om>\d{2})))?$"
)


def timestamp_fault(text: str) -> str | None:
    """What is out of range in an ISO 8601 ``text`` of the usual shape, naming each part and
    what it allows; None when every part is in range (or the shape is another: the parser
    says more about that). Shared by ``consent.given_at`` and ``?updated_since=``."""
    parts = _PARTS.match(text.strip())
    if parts is None:
        return None
    n = {k: int(v) for k, v in parts.groupdict().items() if v is not None and k != "offset"}
    faults = []
    if n["year"] == 0:
        faults.append("year 0000 (allowed 0001–9999)")
    if not 1 <= n["month"] <= 12:
        faults.append(f"month {parts['month']} (allowed 01–12)")
    elif not 1 <= n["day"] <= (days := calendar.monthrange(max(n["year"], 1), n["month"])[1]):
        faults.append(f"day {parts['day']} ({parts['year']}-{parts['month']} has {days} days)")
    if n["hour"] > 23:
        faults.append(f"hour {parts['hour']} (allowed 00–23; midnight is 00:00)")
    if n["minute"] > 59:
        faults.append(f"minute {parts['minute']} (allowed 00–59)")
    if n.get("second", 0) > 59:
        faults.append(f"second {parts['second']} (allowed 00–59; no leap seconds)")
    if parts["offset"] and (n["oh"] > 23 or n["om"] > 59):
        faults.append(f"time zone offset {parts['offset']} (allowed -23:59 to +23:59)")
    if not faults:
        return None
    return f"not a valid time: {', '.join(faults)}; {TIMESTAMP_RULE}"


def _timestamp(value: Any) -> Any:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError(TIMESTAMP_RULE)
    fault = timestamp_fault(value)
    if fault is not None:
        raise ValueError(fault)
    return value


def timestamp() -> Any:
    return Annotated[datetime, BeforeValidator(_timestamp)]
