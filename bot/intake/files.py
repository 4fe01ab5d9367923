"""Lead files for ``leadbot leads import``: JSON (the API contract) or flat CSV.

* **JSON**: one lead object, or a list of them, exactly as ``POST /api/leads`` takes them.
  Problems name the record by its index and the line it starts on: ``[2] (line 31)``.
* **CSV**: one lead per row; the columns are the JSON field paths with dots
  (``company.name``, ``company.address.postal_code``, ``interest.products``). List
  columns (``interest.products``, ``consent.allowed_partners``, ``consent.allowed_tiers``)
  are ``;``-separated; ``consent.partner_contact`` is true/false (also yes/no, ja/nein,
  1/0); whole-number cells (``score``, ``company.employees``, the ``*_eur`` amounts) follow
  the directory files' rule (:func:`bot.directory.fields.whole_number`: ``25.000`` is
  refused, not read as 25), decimal cells (``lat``/``lon``) take a decimal comma too; an
  empty cell is an absent field. Delimiter and encoding as for the directory files (see
  :mod:`bot.directory.table`). Problems name the line and the column.

Every record is validated against the full contract (schema and settings), and a record
that repeats another's ``external_id`` in the same file is a problem too.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from bot import safejson
from bot.config import Settings
from bot.directory.fields import INT64_MAX, CellError, split_list, whole_number
from bot.directory.table import decode, read_table
from bot.intake.lenient import lenient_warnings
from bot.intake.problems import field_path, validate_lead
from bot.intake.schema import LeadIn
from bot.plaintext import clean_paragraph, quoted

Kind = Literal["text", "paragraph", "list", "bool", "whole", "decimal"]

_TRUE = {"true", "yes", "ja", "1", "x", "wahr", "y", "j"}
_FALSE = {"false", "no", "nein", "0", "falsch", "n"}


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


# --- CSV columns from the schema ---------------------------------------------------------


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def _leaf_types(annotation: Any) -> list[Any]:
    """The plain types behind ``Annotated[...]`` and unions (``StrictInt | None`` -> int)."""
    out: list[Any] = []
    stack = [annotation]
    while stack:
        current = stack.pop()
        origin = typing.get_origin(current)
        if origin is typing.Annotated:
            stack.append(typing.get_args(current)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(current))
        else:
            out.append(current)
    return out


def _kind(annotation: Any) -> Kind:
    candidates = _leaf_types(annotation)
    if any(typing.get_origin(a) is list or a is list for a in candidates):
        return "list"
    if bool in candidates:
        return "bool"
    if int in candidates:
        return "whole"
    if float in candidates:
        return "decimal"
    return "paragraph" if _is_paragraph(annotation) else "text"


def _is_paragraph(annotation: Any) -> bool:
    """Running text (the schema's ``paragraph``): a quoted cell may hold line breaks."""
    return any(
        getattr(meta, "func", None) is clean_paragraph
        for arg in (annotation, *typing.get_args(annotation))
        if typing.get_origin(arg) is typing.Annotated
        for meta in arg.__metadata__
    )


def csv_columns(model: type[BaseModel] = LeadIn, prefix: str = "") -> dict[str, Kind]:
    """Every leaf of the contract as a dotted column name, with how its cells are read."""
    out: dict[str, Kind] = {}
    for name, info in model.model_fields.items():
        sub = _submodel(info.annotation)
        if sub is not None:
            out.update(csv_columns(sub, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = _kind(info.annotation)
    return out


COLUMNS = csv_columns()
REQUIRED_COLUMNS = ("company.name", "company.address.country", "interest.products")
CONTACT_COLUMNS = ("contact.email", "contact.phone")
PARAGRAPH_COLUMNS = tuple(name for name, kind in COLUMNS.items() if kind == "paragraph")


def _cell_value(cell: str, kind: Kind) -> Any:
    if kind == "list":
        return split_list(cell)
    if kind == "bool":
        word = cell.casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(f"{quoted(cell)} is not true or false")
    if kind == "whole":
        return _whole(cell)
    if kind == "decimal":
        return _decimal(cell)
    return cell


def _whole(cell: str) -> int:
    """A whole-number cell, by the directory files' rule: ``25.000`` or ``1,200,000`` is a
    German or English thousands separator, never 25 or 1.2, so it is refused with that hint,
    and so is a fraction (``1.5``). The contract checks the field's own bounds."""
    try:
        return whole_number(cell.strip(), minimum=-INT64_MAX)
    except CellError as exc:
        raise ValueError(str(exc)) from None


def _decimal(cell: str) -> Any:
    """A decimal cell as a number (the contract takes JSON numbers, not strings)."""
    text = cell.strip()
    if re.fullmatch(r"[+-]?[0-9]{1,30}", text):
        return int(text)
    if re.fullmatch(r"[+-]?[0-9]{1,30}[.,][0-9]{1,30}", text):
        return float(text.replace(",", "."))  # a German decimal comma too
    return cell  # refused by the contract with "should be a valid number"


def _nest(row: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Flat dotted cells -> the nested JSON shape; empty cells are absent fields."""
    data: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column, cell in row.items():
        if not cell:
            continue
        try:
            value = _cell_value(cell, COLUMNS[column])
        except ValueError as exc:
            problems.append((column, str(exc)))
            continue
        target = data
        *parents, leaf = column.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return data, problems


def _csv_column(loc: tuple[str | int, ...]) -> str:
    """A list item's problem is reported on its column: ``interest.products (item 2)``."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    items = [p for p in loc if isinstance(p, int)]
    column = ".".join(names) or "(lead)"
    return f"{column} (item {items[0] + 1})" if items else column


Raw = list[tuple[str, int, Any]]  # (where, line, decoded record)


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
        nested, cell_problems = _nest(row)
        where = f"line {line}"
        out += [RecordProblem(where, message, column, line) for column, message in cell_problems]
        records.append((where, line, nested))
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
        return [("lead", 1, value)], []
    if not isinstance(value, list):
        return [], [RecordProblem("", "expected a lead object or a list of lead objects")]
    lines = [line for _, _, line in _record_spans(text)]
    return [(f"[{i}] (line {lines[i]})", lines[i], item) for i, item in enumerate(value)], []


# --- both -------------------------------------------------------------------------------


def load_leads(
    data: bytes, fmt: Literal["json", "csv"], settings: Settings, now: datetime | None = None
) -> tuple[list[LeadRecord], list[RecordProblem]]:
    """Parse and validate every record; problems for all of them, records for the good ones.

    Each record carries warnings about values kept as given (``now``, the time of the
    import: the teasers' timeline bands count from its day, and a consent given after it
    is said to be in the future).
    """
    now = now or datetime.now(UTC)
    raw, problems = read_json_leads(data) if fmt == "json" else read_csv_leads(data)
    bad_cells = {p.where for p in problems}
    records: list[LeadRecord] = []
    seen_ids: dict[str, str] = {}
    name = _csv_column if fmt == "csv" else field_path
    for where, line, item in raw:
        if not isinstance(item, dict):
            problems.append(RecordProblem(where, "expected a lead object", line=line))
            continue
        lead, field_problems = validate_lead(item, settings)
        problems += [RecordProblem(where, p.message, name(p.loc), line) for p in field_problems]
        if lead is None or where in bad_cells:
            continue
        if lead.external_id is not None:
            if lead.external_id in seen_ids:
                problems.append(
                    RecordProblem(
                        where,
                        f"{quoted(lead.external_id)} repeats the external_id of "
                        f"{seen_ids[lead.external_id]}",
                        "external_id",
                        line,
                    )
                )
                continue
            seen_ids[lead.external_id] = where
        warnings = [f"{name(w.loc)}: {w.message}" for w in lenient_warnings(lead, now)]
        records.append(LeadRecord(where, lead, warnings))
    return records, sorted(problems, key=lambda p: p.line)
