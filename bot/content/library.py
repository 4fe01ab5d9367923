"""The sales-content library: TOML files that marketing edits, validated before anything is sent.

One file per product line (optionally per line and industry) holds ``[[arguments]]``,
``[[offers]]`` and ``[[services]]``; each item has a stable ``key`` and German and/or English
text. Loading is all-or-nothing: every problem of every file is collected and reported
together, naming the file, the line and the field, and a library with any problem is not
used at all (the bot keeps the last good one). The format is documented in docs/content.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.config import Product, Settings
from bot.content.items import (
    LANGUAGES,
    ItemKind,
    ItemText,
    Library,
    LibraryError,
    LibraryItem,
    Problem,
    content_version,
)
from bot.content.validate import FileReader

__all__ = [
    "DEFAULT_LIBRARY",
    "LANGUAGES",
    "ItemKind",
    "ItemText",
    "Library",
    "LibraryError",
    "LibraryItem",
    "Problem",
    "content_version",
    "library_path",
    "load_library",
]

DEFAULT_LIBRARY = Path(__file__).resolve().parent / "library"


def library_path(settings: Settings) -> Path:
    """``[content] library`` (relative to the working directory), else the shipped samples."""
    return Path(settings.content.library) if settings.content.library else DEFAULT_LIBRARY


def load_library(path: Path, products: Sequence[Product]) -> Library:
    """Read and validate every ``*.toml`` under ``path``; raise :class:`LibraryError`."""
    if not path.is_dir():
        raise LibraryError([Problem(str(path), None, "", "directory not found")])
    files = sorted(
        p
        for p in path.rglob("*.toml")
        if not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    problems: list[Problem] = []
    items: list[LibraryItem] = []
    seen: dict[str, Problem] = {}
    for file in files:
        name = file.relative_to(path).as_posix()
        reader = FileReader(name, products)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, None, "", f"cannot read: {exc}"))
            continue
        found = reader.read(text)
        for key, where in reader.keys:
            if key in seen:
                first = seen[key]
                place = f"{first.file}:{first.line}" if first.line else first.file
                reader.problem(where.line, where.where, f'duplicate key "{key}" (also {place})')
                found = [item for item in found if item.key != key]
            else:
                seen[key] = where
        items.extend(found)
        problems.extend(reader.problems)
    if problems:
        raise LibraryError(problems, str(path))
    return Library(tuple(items), tuple(f.relative_to(path).as_posix() for f in files))
