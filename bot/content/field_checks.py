"""Field-level checks of a library item: the value of one key, apart from the file around it.

Each check reads one parsed TOML value, records what is wrong with it through the
reader's report callback (so every problem is listed, not just the first) and returns
the clean value — or an empty/``None`` one, so the reader can go on with the next field.
Where in the file a problem is (the line) is the reader's business: it is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any, Protocol

from bot.content.anonymize import KNOWN_INDUSTRIES
from bot.plaintext import quoted

# TOML's own names for its value types, most specific first (a bool is an int in Python).
_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "float"),
    (datetime, "datetime"),
    (date, "date"),
    (time, "time"),
    (list, "array"),
    (dict, "table"),
)


class Report(Protocol):
    """Records a problem at a line and place of the file (``FileReader.problem``)."""

    def __call__(
        self,
        line: int | None,
        where: str,
        message: str,
        code: str = "",
        params: dict[str, object] | None = None,
    ) -> None: ...


class FieldReport(Protocol):
    """Records a problem with one named field of the item being read (line found for it)."""

    def __call__(
        self, name: str, message: str, code: str = "", params: dict[str, object] | None = None
    ) -> None: ...


def toml_type(value: object) -> str:
    """The TOML type of a parsed value, for "must be text, not a TOML integer value"."""
    return next((name for kind, name in _TOML_TYPES if isinstance(value, kind)), "other")


def not_text(report: Report, line: int | None, where: str, value: object) -> None:
    """``key = 5``: a value of the wrong type is named as such, not as missing."""
    found = toml_type(value)
    report(
        line,
        where,
        f"must be text in quotes, not a TOML {found} value",
        "not_text",
        {"found": found},
    )


def industries(value: Any, line: int | None, where: str, report: Report) -> tuple[str, ...]:
    """The industries an item (or a whole file) is for, lowercased; unknown ones reported."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        report(line, where, 'must be a list of industries, e.g. ["food", "retail"]')
        return ()
    out = []
    for raw in value:
        industry = raw.strip().lower()
        if industry not in KNOWN_INDUSTRIES:
            report(
                line,
                where,
                f'unknown industry "{raw}" (known: {", ".join(sorted(KNOWN_INDUSTRIES))})',
            )
        out.append(industry)
    return tuple(sorted(set(out)))


def products(
    value: Any,
    line: str,
    product_lines: Mapping[str, str],
    at: int | None,
    label: str,
    report: Report,
) -> tuple[str, ...]:
    """The product ids an item names; each must be configured and of the file's ``line``.

    ``product_lines`` maps each configured product id to its product line (``[[products]]``).
    """
    where = f"{label}.products"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        report(at, where, 'must be a list of product ids, e.g. ["X500"]', "products")
        return ()
    for product in value:
        if product not in product_lines:
            report(
                at,
                where,
                f'unknown product "{product}"',
                "product_unknown",
                {"product": product},
            )
        elif product_lines[product] != line:
            its = product_lines[product]
            report(
                at,
                where,
                f'product "{product}" belongs to line "{its}", not "{line}"',
                "product_line",
                {"product": product, "its_line": its, "line": line},
            )
    return tuple(sorted(set(value)))


def date_field(entry: Mapping[str, Any], name: str, bad: FieldReport) -> date | None:
    """The date in ``entry[name]`` (a TOML date or ISO text), or None when absent or bad.

    Items are valid by the day, so a TOML datetime is refused with the date it would be.
    """
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        example = value.date().isoformat()
        bad(
            name,
            f"give a date without a time, e.g. {example}",
            "date_time",
            {"example": example},
        )
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    bad(
        name,
        f"not a date: {quoted(value)} (write it as 2026-12-31)",
        "date",
        {"value": quoted(value, counted=False)},
    )
    return None
