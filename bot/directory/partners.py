"""The partners CSV (DESIGN §6): parse and validate every row against the settings.

Pure: no database. The result is a list of :class:`PartnerRow` (the values to store) and
a list of :class:`Problem` — every bad cell of every row, so one round of fixing is enough.

Columns other than ``id, name, tier, country`` may be left out of the file: a column that
is absent leaves the stored value alone on re-import (and takes the default for a new
partner), while a column that is present but empty sets the empty/default value. The chat
columns are the exception: an empty cell keeps what is stored (a channel may have been
linked in chat), and ``-`` clears it. ``email`` (last, optional) is the partner's lead
inbox for the e-mail channel, validated like reps' e-mails; an empty cell means none.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.directory import fields as f
from bot.directory.reps import mailable_email
from bot.directory.table import Problem, Table
from bot.plaintext import quoted

REQUIRED = ("id", "name", "tier", "country")
OPTIONAL = (
    "certifications",
    "employees",
    "annual_revenue_eur",
    "postal_code",
    "lat",
    "lon",
    "service_radius_km",
    "regions",
    "segments",
    "products",
    "max_open_leads",
    "languages",
    "slack_channel",
    "telegram_chat_id",
    "email",
)
COLUMNS = REQUIRED + OPTIONAL

SEGMENTS = ("enterprise", "sme", "public")
LANGUAGES = ("de", "en")
DEFAULT_MAX_OPEN_LEADS = 10
MAX_RADIUS_KM = 2000.0
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")

# What a new partner gets for a column the file does not have (or leaves empty).
DEFAULTS: dict[str, Any] = {
    "certifications": {},
    "employees": None,
    "annual_revenue_eur": None,
    "postal_code": None,
    "lat": None,
    "lon": None,
    "service_radius_km": None,
    "regions": [],
    "segments": list(SEGMENTS),
    "products": [],
    "max_open_leads": DEFAULT_MAX_OPEN_LEADS,
    "languages": ["de"],
    "slack_channel": None,
    "telegram_chat_id": None,
    "email": None,
}


@dataclass
class PartnerRow:
    line: int
    id: str
    values: dict[str, Any] = field(default_factory=dict)  # Partner attribute -> value (or KEEP)


@dataclass(frozen=True)
class Vocabulary:
    """What the settings allow, with the canonical spellings."""

    tiers: tuple[str, ...]
    levels: tuple[str, ...]
    lines: tuple[str, ...]
    products: tuple[str, ...]
    smtputf8: bool = False  # [email] smtputf8: the mail path takes non-ASCII local parts

    @classmethod
    def from_settings(cls, settings: Settings) -> Vocabulary:
        return cls(
            tiers=tuple(settings.matching.tiers),
            levels=tuple(settings.matching.certification_levels),
            lines=tuple(dict.fromkeys(p.line for p in settings.products)),
            products=tuple(p.id for p in settings.products),
            smtputf8=settings.email.smtputf8,
        )


def _certifications(cell: str, vocab: Vocabulary) -> dict[str, str]:
    out: dict[str, str] = {}
    problems: list[str] = []
    for item in f.split_list(cell):
        line, sep, level = (part.strip() for part in item.partition(":"))
        if not sep or not line or not level:
            problems.append(f"{quoted(item)} is not line:level, e.g. X-series:advanced")
            continue
        try:
            canonical = f.choice(line, vocab.lines, "product line from [[products]]")
            level = f.choice(level, vocab.levels, "certification level")
        except f.CellError as exc:
            problems.append(str(exc))
            continue
        if canonical in out:
            problems.append(f"{quoted(canonical)} is certified twice")
        out[canonical] = level
    if problems:
        raise f.CellError("; ".join(problems))
    return out


def _regions(cell: str) -> list[str]:
    out: list[str] = []
    problems: list[str] = []
    for item in f.split_list(cell):
        try:
            value = f.territory(item)
        except f.CellError as exc:
            problems.append(str(exc))
            continue
        if value not in out:
            out.append(value)
    if problems:
        raise f.CellError("; ".join(problems))
    return out


def _parsers(vocab: Vocabulary, country: str | None) -> dict[str, Callable[[str], Any]]:
    """Column -> parser of a non-empty cell."""
    return {
        "name": lambda c: c if len(c) <= 200 else _too_long(200),
        "tier": lambda c: f.choice(c, vocab.tiers, "tier"),
        "certifications": lambda c: _certifications(c, vocab),
        "employees": lambda c: f.whole_number(c, maximum=10_000_000),
        "annual_revenue_eur": lambda c: f.whole_number(c),
        "country": f.country,
        "postal_code": lambda c: f.postal_code(c, country),
        "lat": lambda c: f.decimal_number(c, minimum=-90, maximum=90),
        "lon": lambda c: f.decimal_number(c, minimum=-180, maximum=180),
        "service_radius_km": lambda c: _radius(c),
        "regions": _regions,
        "segments": lambda c: f.choices(c, SEGMENTS, "segment"),
        "products": lambda c: f.choices(c, vocab.products, "product id from [[products]]"),
        "max_open_leads": lambda c: f.whole_number(c, minimum=1, maximum=100_000),
        "languages": lambda c: f.choices(c, LANGUAGES, "language"),
        "email": lambda c: mailable_email(c, vocab.smtputf8),
    }


def _too_long(limit: int) -> str:
    raise f.CellError(f"longer than {limit} characters")


def _radius(cell: str) -> float:
    value = f.decimal_number(cell, minimum=0, maximum=MAX_RADIUS_KM)
    if value <= 0:
        raise f.CellError("must be above 0 km (leave it empty for no radius)")
    return value


_CHAT: dict[str, Callable[[str], Any]] = {
    "slack_channel": f.slack_channel,
    "telegram_chat_id": f.telegram_chat,
}


def _parse_row(
    line: int, cells: dict[str, str], vocab: Vocabulary, refused: frozenset[str] = frozenset()
) -> tuple[PartnerRow | None, list[Problem]]:
    """The row's values, or None and every problem of its cells. ``refused``: the columns
    whose cell was refused for a control character (reported already, not in ``cells``);
    what needs them is not checked, and the row is never stored."""
    problems: list[Problem] = []
    pid = cells.get("id", "")
    if not pid and "id" not in refused:
        problems.append(Problem(line, "required", "id"))
    elif pid and not _ID.match(pid):
        problems.append(
            Problem(line, f"{quoted(pid)}: use up to 64 letters, digits, '.', '_' or '-'", "id")
        )
    country: str | None = None
    with contextlib.suppress(f.CellError):  # a bad country is reported with the other cells
        country = f.country(cells["country"]) if cells.get("country") else None
    values: dict[str, Any] = {}
    parsers = _parsers(vocab, country)
    for column, cell in cells.items():
        if column == "id":
            continue
        try:
            if column in _CHAT:
                values[column] = _CHAT[column](cell)
            elif not cell:
                if column in REQUIRED:
                    raise f.CellError("required")
                values[column] = DEFAULTS[column]
            else:
                values[column] = parsers[column](cell)
        except f.CellError as exc:
            problems.append(Problem(line, str(exc), column))
    problems.extend(_cross_checks(line, cells, values, refused))
    if problems or refused:
        return None, problems
    return PartnerRow(line=line, id=pid, values=values), []


def _cross_checks(
    line: int, cells: dict[str, str], values: dict[str, Any], refused: frozenset[str]
) -> list[Problem]:
    """Checks across cells; none that needs a refused cell (it may hold a coordinate)."""
    problems: list[Problem] = []
    if refused & {"lat", "lon"}:
        return problems
    lat, lon = cells.get("lat", ""), cells.get("lon", "")
    if bool(lat) != bool(lon):
        problems.append(Problem(line, "give lat and lon together", "lon" if lat else "lat"))
    if values.get("service_radius_km") is not None and not (lat and lon):
        problems.append(
            Problem(line, "a service radius needs the partner's lat and lon", "service_radius_km")
        )
    return problems


def _order(problem: Problem) -> tuple[int, int]:
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else -1
    return (problem.line or 0, column)


_NO_PRODUCTS = (
    "it names products or certifications, but the configuration has no [[products]]: "
    "configure them first (leadbot reads --config, else $LEADBOT_CONFIG, else ./bot.toml)"
)


def _naming_unconfigured_products(table: Table, vocab: Vocabulary) -> frozenset[str]:
    """The product columns of a file that fills them while no [[products]] are configured
    (typically leadbot run from a directory without the operator's bot.toml): one problem
    for the file instead of one per partner and product."""
    if vocab.products:
        return frozenset()
    columns = frozenset({"products", "certifications"})
    named = any(cells.get(column) for _, cells in table.rows for column in columns)
    return columns if named else frozenset()


def parse_partners(table: Table, settings: Settings) -> tuple[list[PartnerRow], list[Problem]]:
    """Every row of a partners file, validated; duplicates within the file are problems."""
    vocab = Vocabulary.from_settings(settings)
    rows: list[PartnerRow] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    chat_first: dict[tuple[str, object], int] = {}
    unconfigured = _naming_unconfigured_products(table, vocab)
    if unconfigured:
        problems.append(Problem(None, _NO_PRODUCTS))
    for line, cells in table.rows:
        if unconfigured:  # said once for the file above, not once per cell
            cells = {k: v for k, v in cells.items() if k not in unconfigured}
        refused = table.refused_in(line) | unconfigured
        row, row_problems = _parse_row(line, cells, vocab, refused)
        problems.extend(row_problems)
        pid = cells.get("id", "")
        key = pid.casefold()
        if pid and key in first_line:
            problems.append(
                Problem(
                    line, f"{quoted(pid)} appears twice (first on line {first_line[key]})", "id"
                )
            )
        elif pid:
            first_line[key] = line
        for column, parse in _CHAT.items():
            try:
                value = parse(cells.get(column, ""))
            except f.CellError:
                continue  # reported with the row
            if value is None or value is f.KEEP:
                continue
            if (column, value) in chat_first:
                first = chat_first[(column, value)]
                message = f"{value} is already the channel of the partner on line {first}"
                problems.append(Problem(line, message, column))
            else:
                chat_first[(column, value)] = line
        if row is None:
            continue
        rows.append(row)
    return rows, sorted(problems, key=_order)
