"""The flat CSV form of a lead: its columns, taken from the contract, and how a cell is read.

The columns are the JSON field paths with dots (``company.name``,
``company.address.postal_code``, ``interest.products``), found by walking
:class:`~bot.intake.schema.LeadIn`, so a field added to the contract is a column at once.
List columns are ``;``-separated; ``consent.partner_contact`` is true/false (also yes/no,
ja/nein, 1/0); whole-number cells follow the directory files' rule
(:func:`bot.directory.fields.whole_number`: ``25.000`` is refused, not read as 25),
decimal cells take a decimal comma too; an empty cell is an absent field.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel

from bot.directory.fields import INT64_MAX, CellError, split_list, whole_number
from bot.intake.schema import LeadIn
from bot.plaintext import clean_paragraph, quoted

Kind = Literal["text", "paragraph", "list", "bool", "whole", "decimal"]

_TRUE = {"true", "yes", "ja", "1", "x", "wahr", "y", "j"}
_FALSE = {"false", "no", "nein", "0", "falsch", "n"}


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


def nest(
    row: dict[str, str], refused: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Flat dotted cells -> the nested JSON shape; empty cells are absent fields.

    A ``refused`` column (its cell had a control character) is absent too, but its parent
    objects are there, so the contract checks the record's other fields one by one
    instead of saying ``company: required`` for a company whose name was refused."""
    data: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column in refused:
        target = data
        for part in column.split(".")[:-1]:
            target = target.setdefault(part, {})
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


def csv_column(loc: tuple[str | int, ...]) -> str:
    """A list item's problem is reported on its column: ``interest.products (item 2)``."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    items = [p for p in loc if isinstance(p, int)]
    column = ".".join(names) or "(lead)"
    return f"{column} (item {items[0] + 1})" if items else column
