"""Lead files for ``leadbot leads import``: JSON (the API contract) or flat CSV.

* **JSON**: one lead object, or a list of them, exactly as ``POST /api/leads`` takes them.
  Problems name the record by its index and the line it starts on: ``[2] (line 31)``.
* **CSV**: one lead per row; the columns are the JSON field paths with dots
  (``company.name``, ``company.address.postal_code``, ``interest.products``), their cells
  read as :mod:`bot.intake.lead_csv` says; an empty cell is an absent field. Delimiter
  and encoding as for the directory files (see :mod:`bot.directory.table`). Problems
  name the line and the column.

Every record is validated against the full contract (schema and settings), and a record
that repeats another's ``external_id`` in the same file is a problem too — also when that
other record has problems of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot import safejson
from bot.config import Settings
from bot.directory.table import decode, read_table
from bot.intake.lead_csv import (
    COLUMNS,
    CONTACT_COLUMNS,
    PARAGRAPH_COLUMNS,
    REQUIRED_COLUMNS,
    csv_column,
    nest,
)
from bot.intake.lenient import lenient_warnings
from bot.intake.problems import FieldProblem, field_path, validate_lead
from bot.intake.schema import LeadIn
from bot.plaintext import quoted, trim


@dataclass(frozen=True)
class LeadRecord:
    where: str  # "line 4" (CSV) or "[2] (line 31)" (JSON)
    lead: LeadIn
    warnings: list[str] = field(default_factory=list)  # loose values kept as given


@dataclass(frozen=True)
class RecordProblem:
    where: str
    message: str
    field: str | None = None
    line: int = 0  # for sorting: where the record starts

    def __str__(self) -> str:
        where = self.where or "file"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class RawRecord:
    """A decoded record before the contract checks it."""

    where: str
    line: int
    item: Any
    refused: frozenset[str] = frozenset()  # CSV columns refused for a control character


Raw = list[RawRecord]


# --- CSV ------------------------------------------------------------------------------


def read_csv_leads(data: bytes) -> tuple[Raw, list[RecordProblem]]:
    optional = tuple(c for c in COLUMNS if c not in REQUIRED_COLUMNS)
    table, problems = read_table(data, REQUIRED_COLUMNS, optional, PARAGRAPH_COLUMNS)
    out = [
        RecordProblem(f"line {p.line}" if p.line else "", p.message, p.column, p.line or 0)
        for p in problems
    ]
    if table is None:
        return [], out
    if not any(c in table.columns for c in CONTACT_COLUMNS):
        out.append(RecordProblem("header", "missing column(s): contact.email or contact.phone"))
        return [], out
    records = []
    for line, row in table.rows:
        refused = table.refused_in(line)
        nested, cell_problems = nest(row, refused)
        where = f"line {line}"
        out += [RecordProblem(where, message, column, line) for column, message in cell_problems]
        records.append(RawRecord(where, line, nested, refused))
    return records, out


# --- JSON ------------------------------------------------------------------------------

_WS = re.compile(r"\s*")


def _record_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """Where each element of a top-level JSON list starts and ends, and its first line.

    Decoded with the standard decoder, which takes what :func:`bot.safejson.loads` refuses
    (a key twice, ``NaN``), so it also walks a file with such a problem; a syntax error or
    a record nested too deeply stops it (``ValueError``, ``RecursionError``).
    """
    decoder = json.JSONDecoder()
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    line, counted = 1, 0  # newlines are counted once, from where the last count stopped
    while pos < len(text) and text[pos] != "]":
        line += text.count("\n", counted, pos)
        counted = pos
        _, end = decoder.raw_decode(text, pos)
        yield pos, end, line
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if pos < len(text) and text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]


def _unplaced(text: str, problem: safejson.JsonProblem) -> RecordProblem:
    """A problem the parser finds without knowing where (a key given twice, ``NaN``, a lone
    surrogate, too deep), named by its record like every other problem of a lead file.

    Only on this error path: the records are checked one by one until one fails the same
    way. A problem no single record has (or a file too broken to walk) stays unplaced.
    """
    if text.lstrip().startswith("{"):
        return RecordProblem("lead", problem.message, line=1)
    try:
        for index, (start, end, line) in enumerate(_record_spans(text)):
            try:  # one level less: the file's list is one level of the whole text
                safejson.loads(text[start:end], max_depth=safejson.MAX_DEPTH - 1)
            except safejson.JsonProblem:
                # The whole file's message: the record, one level less deep, would say
                # "at most 31 levels" of a limit that is 32 for the file.
                return RecordProblem(f"[{index}] (line {line})", problem.message, line=line)
    except (ValueError, RecursionError):
        pass
    return RecordProblem("", problem.message)


def read_json_leads(data: bytes) -> tuple[Raw, list[RecordProblem]]:
    text, problem = decode(data)
    if text is None:
        assert problem is not None
        where = f"line {problem.line}" if problem.line else ""
        return [], [RecordProblem(where, problem.message, line=problem.line or 0)]
    try:
        value = safejson.loads(text)
    except safejson.JsonProblem as exc:
        if exc.line is None:
            return [], [_unplaced(text, exc)]
        return [], [
            RecordProblem(f"line {exc.line}, column {exc.column}", exc.message, line=exc.line)
        ]
    if isinstance(value, dict):
        return [RawRecord("lead", 1, value)], []
    if not isinstance(value, list):
        return [], [RecordProblem("", "expected a lead object or a list of lead objects")]
    lines = [line for _, _, line in _record_spans(text)]
    return [
        RawRecord(f"[{i}] (line {lines[i]})", lines[i], item) for i, item in enumerate(value)
    ], []


# --- both -------------------------------------------------------------------------------


def _needs_refused(loc: tuple[str | int, ...], refused: frozenset[str]) -> bool:
    """Whether a problem at ``loc`` is about a refused cell: the field itself (absent, so
    "required"), or a check across the fields of an object that holds one ("an email or a
    phone number is needed", "lat and lon must be given together"), which cannot be
    decided without it. The refused cell is reported once, for its character."""
    path = ".".join(str(part) for part in loc if not isinstance(part, int))
    return any(column == path or column.startswith(f"{path}.") for column in refused)


def _external_id(item: dict[str, Any], lead: LeadIn | None, problems: list[FieldProblem]) -> Any:
    """The record's ``external_id`` as the contract reads it, also when the record has
    other problems; None when there is none, or it is itself a problem (reported so)."""
    if lead is not None:
        return lead.external_id
    raw = item.get("external_id")
    if not isinstance(raw, str) or any(p.loc[:1] == ("external_id",) for p in problems):
        return None
    return trim(raw) or None


def load_leads(
    data: bytes, fmt: Literal["json", "csv"], settings: Settings, now: datetime | None = None
) -> tuple[list[LeadRecord], list[RecordProblem]]:
    """Parse and validate every record; problems for all of them, records for the good ones.

    Each record carries warnings about values kept as given (``now``, the time of the
    import: the teasers' timeline bands count from its day, and a consent given after it
    is said to be in the future). An ``external_id`` counts as seen from the first record
    that has it, even when that record has other problems: a record repeating it is
    reported in the same round, as a repeat of that one.
    """
    now = now or datetime.now(UTC)
    raw, problems = read_json_leads(data) if fmt == "json" else read_csv_leads(data)
    bad_cells = {p.where for p in problems}
    records: list[LeadRecord] = []
    seen_ids: dict[str, str] = {}
    name = csv_column if fmt == "csv" else field_path
    for record in raw:
        where, line, item = record.where, record.line, record.item
        if not isinstance(item, dict):
            problems.append(RecordProblem(where, "expected a lead object", line=line))
            continue
        lead, field_problems = validate_lead(item, settings)
        field_problems = [p for p in field_problems if not _needs_refused(p.loc, record.refused)]
        problems += [RecordProblem(where, p.message, name(p.loc), line) for p in field_problems]
        external_id = _external_id(item, lead, field_problems)
        if external_id is not None and external_id in seen_ids:
            problems.append(
                RecordProblem(
                    where,
                    f"{quoted(external_id)} repeats the external_id of {seen_ids[external_id]}",
                    "external_id",
                    line,
                )
            )
            continue
        if external_id is not None:
            seen_ids[external_id] = where
        if lead is None or where in bad_cells:
            continue
        warnings = [f"{name(w.loc)}: {w.message}" for w in lenient_warnings(lead, now)]
        records.append(LeadRecord(where, lead, warnings))
    return records, sorted(problems, key=lambda p: p.line)
