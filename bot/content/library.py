"""The sales-content library: TOML files that marketing edits, validated before anything is sent.

One file per product line (optionally per line and industry) holds ``[[arguments]]``,
``[[offers]]`` and ``[[services]]``; each item has a stable ``key`` and German and/or English
text. Every problem of every file is collected and reported together, naming the file,
the line and the field; the items with a problem are left out and every other item is
used — one bad offer does not silence the whole library. An item that had a good version
before keeps that version until its problem is fixed. The format is in docs/content.md.
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
    """Read and validate every ``*.toml`` under ``path``: the valid items and the problems.

    One bad item does not cost the others: it is left out and reported. Raises
    :class:`LibraryError` only when there is no library to read (``path`` is missing).
    """
    if not path.is_dir():
        raise LibraryError(
            [Problem(str(path), None, "", "directory not found", "not_found")], str(path)
        )
    files = sorted(
        p
        for p in path.rglob("*.toml")
        if not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    problems: list[Problem] = []
    items: list[LibraryItem] = []
    held_keys: set[str] = set()
    held_files: set[str] = set()
    seen: dict[str, Problem] = {}
    for file in files:
        name = file.relative_to(path).as_posix()
        reader = FileReader(name, products)
        try:
            text = file.read_text(encoding="utf-8-sig")  # a BOM (Windows editors) is no TOML
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(
                Problem(name, None, "", f"cannot read: {exc}", "unreadable", {"error": str(exc)})
            )
            held_files.add(name)
            continue
        found = reader.read(text)
        for key, where in reader.keys:
            if key in seen:
                first = seen[key]
                reader.problem(
                    where.line,
                    where.where,
                    f'duplicate key "{key}" (also {first.place})',
                    "duplicate",
                    {"key": key, "place": first.place},
                )
                found = [item for item in found if item.key != key]
            else:
                seen[key] = where
        items.extend(found)
        problems.extend(reader.problems)
        held_keys.update(reader.held_keys)
        if reader.whole_file:
            held_files.add(name)
    return Library(
        tuple(items),
        tuple(f.relative_to(path).as_posix() for f in files),
        tuple(problems),
        frozenset(held_keys - {item.key for item in items}),
        frozenset(held_files),
    )
