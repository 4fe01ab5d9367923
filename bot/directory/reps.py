"""The reps CSV (DESIGN §6): parse and validate every row. Pure: no database.

A rep is identified by e-mail (stored lower-case). Whether ``partner_id`` exists and
whether a chat id already belongs to another rep are database questions, answered by
:func:`bot.directory.service.check_reps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.directory import fields as f
from bot.directory.table import Problem, Table
from bot.mailaddress import beyond_ascii_problem, email_address
from bot.plaintext import quoted

REQUIRED = ("partner_id", "name", "email")
OPTIONAL = ("slack_user_id", "telegram_user_id", "role", "language")
COLUMNS = REQUIRED + OPTIONAL

ROLES = ("sales", "manager")
LANGUAGES = ("de", "en")
PARTNER_LANGUAGE = None  # an empty language cell: the partner's first language


@dataclass
class RepRow:
    line: int
    email: str
    partner_id: str
    values: dict[str, Any] = field(default_factory=dict)  # Rep attribute -> value (or KEEP)


def normalise_email(cell: str) -> str:
    """The address in lower case; the rules are :func:`bot.mailaddress.email_address`'s."""
    try:
        return email_address(cell).lower()
    except ValueError as exc:
        raise f.CellError(f"{quoted(cell)} is not an e-mail address: {exc}") from None


def mailable_email(cell: str, smtputf8: bool) -> str:
    """:func:`normalise_email`, and refused when mail to it could never be sent: letters
    beyond ASCII before the ``@`` without ``[email] smtputf8`` (the address would fail for
    good at its first mail, long after the import, with nobody there to correct it)."""
    email = normalise_email(cell)
    problem = None if smtputf8 else beyond_ascii_problem(email)
    if problem:
        raise f.CellError(f"{quoted(cell)} cannot be mailed: {problem}")
    return email


def _parse_row(
    line: int,
    cells: dict[str, str],
    refused: frozenset[str] = frozenset(),
    smtputf8: bool = False,
) -> tuple[RepRow | None, list[Problem]]:
    """The row's values, or None and every problem of its cells. ``refused``: the columns
    whose cell was refused for a control character (reported already, not in ``cells``);
    such a row is never stored. ``smtputf8``: ``[email] smtputf8``."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    email = ""
    for column, cell in cells.items():
        try:
            if column in REQUIRED and not cell:
                raise f.CellError("required")
            if column == "email":
                email = mailable_email(cell, smtputf8)
            elif column == "partner_id":
                values["partner_id"] = cell
            elif column == "name":
                if len(cell) > 200:
                    raise f.CellError("longer than 200 characters")
                values["name"] = cell
            elif column == "slack_user_id":
                values[column] = f.slack_user(cell)
            elif column == "telegram_user_id":
                values[column] = f.telegram_user(cell)
            elif column == "role":
                values["role"] = f.choice(cell, ROLES, "role") if cell else ROLES[0]
            elif column == "language":
                values["language"] = f.choice(cell, LANGUAGES, "language") if cell else None
        except f.CellError as exc:
            problems.append(Problem(line, str(exc), column))
    if problems or refused:
        return None, problems
    return RepRow(line=line, email=email, partner_id=values["partner_id"], values=values), []


def _order(problem: Problem) -> tuple[int, int]:
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else -1
    return (problem.line or 0, column)


_UNIQUE = {
    "email": normalise_email,
    "slack_user_id": f.slack_user,
    "telegram_user_id": f.telegram_user,
}


def _unique_keys(cells: dict[str, str]) -> list[tuple[str, object]]:
    """The row's values that must be unique in the file, each one that is valid — also
    of a row with other problems: a value seen there is taken, and a later row with it
    is told so in the same round."""
    keys: list[tuple[str, object]] = []
    for column, parse in _UNIQUE.items():
        if not cells.get(column):
            continue
        try:
            value = parse(cells[column])
        except f.CellError:
            continue  # reported with the row
        if value is not None and value is not f.KEEP:
            keys.append((column, value))
    return keys


def parse_reps(table: Table, smtputf8: bool = False) -> tuple[list[RepRow], list[Problem]]:
    """Every row of a reps file; duplicate e-mails and chat ids within the file are problems
    (a value counts from the first row that has it, even when that row has problems).
    ``smtputf8`` (``[email] smtputf8``): the mail path takes letters beyond ASCII before
    the ``@``; without it such an address is a problem of its row."""
    rows: list[RepRow] = []
    problems: list[Problem] = []
    first: dict[tuple[str, object], int] = {}
    for line, cells in table.rows:
        row, row_problems = _parse_row(line, cells, table.refused_in(line), smtputf8)
        problems.extend(row_problems)
        duplicate = False
        for column, value in _unique_keys(cells):
            if (column, value) in first:
                problems.append(
                    Problem(
                        line,
                        f"{value} appears twice (first on line {first[(column, value)]})",
                        column,
                    )
                )
                duplicate = True
            else:
                first[(column, value)] = line
        if row is not None and not duplicate:
            rows.append(row)
    return rows, sorted(problems, key=_order)
