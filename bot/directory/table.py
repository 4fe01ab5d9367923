"""Reading a CSV file into rows keyed by column, with line numbers and every problem found.

Files come from Excel as often as from scripts, so this accepts:

* UTF-8 with or without a byte-order mark (and UTF-16 with a BOM, Excel's "Unicode text");
  anything else is refused with the line of the first bad byte, never guessed;
* ``,``, ``;`` or tab as the delimiter. The delimiter is decided from the **header line**
  alone — the one that splits it into the most known column names — because header names
  contain no list separators. In a ``;``-delimited file a list cell such as
  ``DE-BY;DE-BW`` must be quoted, which Excel does by itself when it saves;
* blank rows (Excel leaves them at the end) and unnamed, empty trailing columns.

A row with more or fewer cells than the header is a problem on that line (usually an
unquoted list in a ``;`` file), never silently shifted. A cell with a control character
(a NUL byte, an escape, a line break or a tab) is a problem on its line too — each such
cell of the row, and the row's other cells are still checked by the caller (the cell
itself is left out of the row and named in :attr:`Table.refused`), so one round of fixing
is enough. Line breaks and tabs are fine inside a quoted cell of a column that holds
running text (a lead's message). A quote that is never closed swallows the rest of the
file; it is reported on the line where it opened, which is where the fix is.

Line numbers are the file's, as a text editor counts them (a line ends at LF, CR LF or a
lone CR), not the record's: a quoted cell that spans lines moves the rows after it down.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from bot.plaintext import bad_character, quoted, trim

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, order=True)
class Problem:
    """A bad line (or the whole file when ``line`` is None), named for a person to fix."""

    line: int | None
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Table:
    columns: tuple[str, ...]
    delimiter: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, cells)
    refused: dict[int, frozenset[str]] = field(default_factory=dict)
    """Per line, the columns whose cell was refused for a control character. That is
    reported already; the cell is not in the row, so a parser checks the other cells and
    skips what needs the refused one (a required cell, a check across cells), and never
    stores such a row."""

    def refused_in(self, line: int) -> frozenset[str]:
        """The columns of ``line`` whose cell was refused (see :attr:`refused`)."""
        return self.refused.get(line, frozenset())


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """Bytes -> text, accepting UTF-8 (BOM optional) and BOM-marked UTF-16."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, Problem(None, "not valid UTF-16 text")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = line_of(data[: exc.start])
        byte = data[exc.start : exc.start + 1].hex().upper()
        return None, Problem(
            line,
            f"not UTF-8 text (byte 0x{byte}); save the file as 'CSV UTF-8' "
            f"(Excel: Save as -> CSV UTF-8)",
        )


_LINE_END = re.compile(rb"\r\n|\r|\n")


def line_of(before: bytes) -> int:
    """The line a position is on, given the bytes before it: counted as the CSV reader
    counts (and a text editor shows) them — LF, CR LF and a lone CR each end a line — so
    a decoding problem and a cell's problem name lines the same way."""
    return len(_LINE_END.findall(before)) + 1


def _normalise(name: str) -> str:
    return name.strip().lower()


def sniff_delimiter(header_line: str, known: Iterable[str]) -> str:
    known_set = set(known)

    def hits(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(1 for c in cells if _normalise(c) in known_set)

    return max(DELIMITERS, key=lambda d: (hits(d), d == ","))


def _check_header(
    names: list[str], line: int, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[int], list[Problem]]:
    """Indexes of the columns to keep, and the header's problems (all on its line)."""
    problems: list[Problem] = []
    allowed = set(required) | set(optional)
    seen: dict[str, int] = {}
    keep: list[int] = []
    unknown: list[str] = []
    for i, name in enumerate(names):
        if not name:
            keep.append(i)  # an unnamed column is fine only if all its cells are empty
            continue
        if name in seen:
            problems.append(
                Problem(
                    line,
                    f"column {quoted(name)} appears twice (columns {seen[name] + 1} and {i + 1})",
                )
            )
            continue
        seen[name] = i
        if name not in allowed:
            unknown.append(name)
            continue
        keep.append(i)
    if unknown:
        known = ", ".join((*required, *optional))
        names = ", ".join(quoted(n) for n in unknown)
        plural = "s" if len(unknown) > 1 else ""
        problems.append(Problem(line, f"unknown column{plural} {names} (known columns: {known})"))
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append(Problem(line, f"missing column(s): {', '.join(missing)}"))
    return keep, problems


def _csv_problem(exc: csv.Error, start: int, line_num: int) -> Problem:
    if "end of data" in str(exc):
        return Problem(
            start,
            'not valid CSV: a quote (") opened in this row is never closed '
            "(the rest of the file was read as one cell)",
        )
    return Problem(line_num or start, f"not valid CSV: {exc}")


def _control_characters(
    cells: list[str], header: list[str] | None, multiline: Collection[str]
) -> list[tuple[int, str, str]]:
    """(index, column, message) of every cell with a control character. Line breaks and
    tabs only in the ``multiline`` columns: a name or an id is one line, and one with a
    line break broke every table and sentence it was printed in."""
    found: list[tuple[int, str, str]] = []
    for i, cell in enumerate(cells):
        name = header[i] if header is not None and i < len(header) else ""
        # Trimmed first: white space at a cell's ends (a trailing Alt+Enter or tab) is
        # dropped with the rest of the trimming, not refused.
        problem = bad_character(trim(cell), multiline=name in multiline)
        if problem is not None:
            found.append((i, name or f"column {i + 1}", problem))
    return found


def read_table(
    data: bytes,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    multiline: Collection[str] = (),
) -> tuple[Table | None, list[Problem]]:
    """Parse ``data``; the table is None when the file as a whole cannot be read.
    ``multiline``: the columns whose (quoted) cells may hold line breaks and tabs."""
    text, problem = decode(data)
    if text is None:
        assert problem is not None
        return None, [problem]
    columns_hint = ", ".join((*required, *optional))
    lines = [line for line in text.splitlines() if line.strip()]
    skip_sep_line = bool(lines) and re.fullmatch(r"sep=.", lines[0].strip()) is not None
    if skip_sep_line:
        # Excel's delimiter hint line: honour it and skip it.
        delimiter = lines[0].strip()[-1]
        lines = lines[1:]
    elif lines:
        delimiter = sniff_delimiter(lines[0], (*required, *optional))
    if not lines:
        return None, [Problem(None, f"the file is empty; expected a header line: {columns_hint}")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    header: list[str] | None = None
    header_line = 0
    table: Table | None = None
    keep: list[int] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_csv_problem(exc, start, reader.line_num))
            break
        bad = _control_characters(cells, header, multiline)
        problems += [Problem(start, message, column) for _, column, message in bad]
        if bad and header is None:
            return None, problems  # the header (or Excel's sep= line) cannot be read
        if not any(trim(c) for c in cells):
            continue
        if skip_sep_line:
            skip_sep_line = False
            continue
        if header is None:
            header, header_line = [_normalise(c) for c in cells], start
            keep, header_problems = _check_header(header, start, required, optional)
            problems.extend(header_problems)
            names = tuple(header[i] for i in keep if header[i])
            table = Table(columns=names, delimiter=delimiter)
            continue
        assert table is not None
        if len(cells) != len(header):
            problems.append(
                Problem(
                    start,
                    f"{len(cells)} values, but the header has {len(header)} columns"
                    + (
                        " (quote list cells that contain ';' in a ';'-separated file)"
                        if delimiter == ";" and len(cells) > len(header)
                        else ""
                    ),
                )
            )
            continue
        row: dict[str, str] = {}
        refused = {i for i, _, _ in bad}
        for i in keep:
            if i in refused:  # reported once, for its character; not checked further
                continue
            value = trim(cells[i])  # a cell of only invisible characters is empty
            if not header[i]:
                if value:
                    problems.append(Problem(start, f"a value in column {i + 1}, which has no name"))
                continue
            row[header[i]] = value
        table.rows.append((start, row))
        named = frozenset(header[i] for i in refused if i in keep and header[i])
        if named:
            table.refused[start] = named
    if any(p.line == header_line for p in problems):
        # With a broken header the rows cannot be interpreted; report only the header.
        return None, [p for p in problems if p.line == header_line]
    return table, problems
