"""The sales-content library: TOML files that marketing edits, validated before anything is sent.

One file per product line (optionally per line and industry) holds ``[[arguments]]``,
``[[offers]]`` and ``[[services]]``; each item has a stable ``key`` and German and/or English
text. Loading is all-or-nothing: every problem of every file is collected and reported
together, naming the file, the line and the field, and a library with any problem is not
used at all (the bot keeps the last good one). The format is documented in docs/content.md.

Each item gets a ``version``: a hash of everything a rep sees (texts, dates, link). Editing
that changes the version, which is what makes an update go out. Who gets an item
(``industries``, ``products``) is deliberately not part of it: widening the audience sends
the item to the newly fitting leads only, and nobody gets the same text twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.config import Product, Settings
from bot.content.anonymize import KNOWN_INDUSTRIES

DEFAULT_LIBRARY = Path(__file__).resolve().parent / "library"
LANGUAGES = ("de", "en")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_TITLE = 200
MAX_BODY = 3000


class ItemKind(StrEnum):
    ARGUMENT = "argument"
    OFFER = "offer"
    SERVICE = "service"


SECTIONS: dict[str, ItemKind] = {
    "arguments": ItemKind.ARGUMENT,
    "offers": ItemKind.OFFER,
    "services": ItemKind.SERVICE,
}
FILE_KEYS = ("line", "industries", *SECTIONS)
ITEM_KEYS = ("key", "industries", "products", "valid_from", "valid_until", "url", *LANGUAGES)
TEXT_KEYS = ("title", "body")


@dataclass(frozen=True)
class ItemText:
    title: str
    body: str


@dataclass(frozen=True)
class LibraryItem:
    """One argument, offer or service, as validated (or as read back from the database)."""

    key: str
    kind: ItemKind
    line: str
    texts: Mapping[str, ItemText]
    industries: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    url: str | None = None
    source: str = ""
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", content_version(self))

    def is_current(self, today: date) -> bool:
        """Valid today: offers outside their dates are never sent."""
        if self.valid_from is not None and today < self.valid_from:
            return False
        return self.valid_until is None or today <= self.valid_until

    def text(self, language: str) -> tuple[str, ItemText]:
        """The rep's language, else the other one; returns the language actually used."""
        for lang in (language, *LANGUAGES):
            if lang in self.texts:
                return lang, self.texts[lang]
        raise KeyError(f"item {self.key} has no text")

    def texts_json(self) -> dict[str, dict[str, str]]:
        return {lang: {"title": t.title, "body": t.body} for lang, t in sorted(self.texts.items())}


def content_version(item: LibraryItem) -> str:
    """A stable hash of what a rep sees (not of who gets it, nor of the file it is in)."""
    data = {
        "kind": item.kind.value,
        "line": item.line,
        "valid_from": item.valid_from.isoformat() if item.valid_from else None,
        "valid_until": item.valid_until.isoformat() if item.valid_until else None,
        "texts": item.texts_json(),
        "url": item.url,
    }
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Library:
    items: tuple[LibraryItem, ...]
    files: tuple[str, ...] = ()

    def by_key(self) -> dict[str, LibraryItem]:
        return {item.key: item for item in self.items}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"
        )


class LibraryError(Exception):
    """The library cannot be used; ``problems`` lists every problem found, file by file."""

    def __init__(self, problems: Sequence[Problem], root: str = "") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        where = f" {root}" if root else ""
        super().__init__(
            f"content library{where} has {count} problem{'s' * (count != 1)}:\n{lines}"
        )


def library_path(settings: Settings) -> Path:
    """``[content] library`` (relative to the working directory), else the shipped samples."""
    return Path(settings.content.library) if settings.content.library else DEFAULT_LIBRARY


def load_library(path: Path, products: Sequence[Product]) -> Library:
    """Read and validate every ``*.toml`` under ``path``; raise :class:`LibraryError`."""
    if not path.is_dir():
        raise LibraryError([Problem(str(path), None, "", "directory not found")])
    files = sorted(
        p for p in path.rglob("*.toml") if not any(part.startswith(".") for part in p.parts)
    )
    problems: list[Problem] = []
    items: list[LibraryItem] = []
    seen: dict[str, Problem] = {}
    for file in files:
        name = file.relative_to(path).as_posix()
        reader = _FileReader(name, products)
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


class _FileReader:
    """Validates one file, collecting problems instead of stopping at the first one."""

    def __init__(self, name: str, products: Sequence[Product]) -> None:
        self.name = name
        self.product_lines = {p.id: p.line for p in products}
        self.lines = sorted({p.line for p in products})
        self.problems: list[Problem] = []
        self.keys: list[tuple[str, Problem]] = []  # every key seen, with where it is
        self.locate = _Locator("")

    def problem(self, line: int | None, where: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, where, message))

    def read(self, text: str) -> list[LibraryItem]:
        self.locate = _Locator(text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            self.problem(int(line.group(1)) if line else None, "", f"not valid TOML: {exc}")
            return []
        for key in data:
            if key not in FILE_KEYS:
                self.problem(
                    self.locate.top(key), key, f"unknown key (allowed: {', '.join(FILE_KEYS)})"
                )
        line = data.get("line")
        if not isinstance(line, str) or not line.strip():
            self.problem(
                self.locate.top("line"),
                "line",
                "missing: the product line, e.g. "
                f'line = "{self.lines[0] if self.lines else "X-series"}"',
            )
            return []
        if line not in self.lines:
            self.problem(
                self.locate.top("line"),
                "line",
                f'unknown product line "{line}" (lines in [[products]]: '
                f"{', '.join(self.lines) or 'none'})",
            )
            return []
        defaults = self._industries(
            data.get("industries", []), self.locate.top("industries"), "industries"
        )
        out: list[LibraryItem] = []
        for section, kind in SECTIONS.items():
            entries = data.get(section, [])
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                self.problem(
                    self.locate.top(section),
                    section,
                    f"must be a list of tables written [[{section}]]",
                )
                continue
            for index, entry in enumerate(entries):
                found = self._item(entry, kind, section, index, line, defaults)
                if found is not None:
                    out.append(found)
        return out

    def _item(
        self,
        entry: dict[str, Any],
        kind: ItemKind,
        section: str,
        index: int,
        line: str,
        defaults: tuple[str, ...],
    ) -> LibraryItem | None:
        key = entry.get("key")
        label = f"{section}[{index + 1}]" + (f' (key "{key}")' if isinstance(key, str) else "")

        def at(name: str) -> int | None:
            return self.locate.field(section, index, name) or self.locate.header(section, index)

        before = len(self.problems)
        if isinstance(key, str):  # duplicates are reported even when the item has other faults
            self.keys.append((key, Problem(self.name, at("key"), f"{label}.key", "")))

        def bad(name: str, message: str) -> None:
            self.problem(at(name), f"{label}.{name}", message)

        for name in entry:
            if name not in ITEM_KEYS:
                bad(name, f"unknown key (allowed: {', '.join(ITEM_KEYS)})")
        if not isinstance(key, str) or not key:
            bad("key", 'missing: a stable key such as "x200-winter-bundle"')
        elif not KEY_PATTERN.match(key):
            bad("key", 'use lowercase letters, digits, ".", "_" or "-" (e.g. "x200-winter-bundle")')
        industries = (
            self._industries(entry["industries"], at("industries"), f"{label}.industries")
            if "industries" in entry
            else defaults
        )
        products = self._products(entry.get("products", []), line, at("products"), label)
        valid_from = self._date(entry, "valid_from", bad)
        valid_until = self._date(entry, "valid_until", bad)
        if kind is ItemKind.OFFER and "valid_until" not in entry:
            bad("valid_until", "missing: every offer needs an end date, e.g. 2026-12-31")
        if valid_from and valid_until and valid_until < valid_from:
            bad("valid_until", f"{valid_until} is before valid_from {valid_from}")
        url = entry.get("url")
        if url is not None and (
            not isinstance(url, str) or not re.fullmatch(r"https?://\S{3,490}", url)
        ):
            bad("url", "must be a web address starting with https://")
            url = None
        texts: dict[str, ItemText] = {}
        for lang in LANGUAGES:
            if lang in entry:
                text = self._text(entry[lang], section, index, label, lang)
                if text is not None:
                    texts[lang] = text
        if not any(lang in entry for lang in LANGUAGES):
            self.problem(
                self.locate.header(section, index),
                label,
                "missing text: add ["
                + section
                + ".de] and/or ["
                + section
                + ".en] with title and body",
            )
        if len(self.problems) > before or not isinstance(key, str):
            return None
        item = LibraryItem(
            key=key,
            kind=kind,
            line=line,
            texts=texts,
            industries=industries,
            products=products,
            valid_from=valid_from,
            valid_until=valid_until,
            url=url,
            source=self.name,
        )
        return item

    def _industries(self, value: Any, line: int | None, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(line, where, 'must be a list of industries, e.g. ["food", "retail"]')
            return ()
        out = []
        for raw in value:
            industry = raw.strip().lower()
            if industry not in KNOWN_INDUSTRIES:
                self.problem(
                    line,
                    where,
                    f'unknown industry "{raw}" (known: {", ".join(sorted(KNOWN_INDUSTRIES))})',
                )
            out.append(industry)
        return tuple(sorted(set(out)))

    def _products(self, value: Any, line: str, at: int | None, label: str) -> tuple[str, ...]:
        where = f"{label}.products"
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(at, where, 'must be a list of product ids, e.g. ["X500"]')
            return ()
        for product in value:
            if product not in self.product_lines:
                self.problem(at, where, f'unknown product "{product}"')
            elif self.product_lines[product] != line:
                self.problem(
                    at,
                    where,
                    f'product "{product}" belongs to line '
                    f'"{self.product_lines[product]}", not "{line}"',
                )
        return tuple(sorted(set(value)))

    def _date(self, entry: dict[str, Any], name: str, bad: Any) -> date | None:
        value = entry.get(name)
        if value is None:
            return None
        if isinstance(value, datetime):
            bad(name, f"give a date without a time, e.g. {value.date().isoformat()}")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        bad(name, f"not a date: {value!r} (write it as 2026-12-31)")
        return None

    def _text(self, value: Any, section: str, index: int, label: str, lang: str) -> ItemText | None:
        where = f"{label}.{lang}"
        line = self.locate.field(section, index, lang)
        if not isinstance(value, dict):
            self.problem(line, where, f"must be a table: [{section}.{lang}] with title and body")
            return None
        ok = True
        for name in value:
            if name not in TEXT_KEYS:
                self.problem(
                    self.locate.field(section, index, name, lang),
                    f"{where}.{name}",
                    "unknown key (allowed: title, body)",
                )
                ok = False
        parts: dict[str, str] = {}
        for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
            text = value.get(name)
            if not isinstance(text, str) or not text.strip():
                self.problem(
                    self.locate.field(section, index, name, lang) or line,
                    f"{where}.{name}",
                    "missing text",
                )
                ok = False
            elif len(text.strip()) > limit:
                self.problem(
                    self.locate.field(section, index, name, lang),
                    f"{where}.{name}",
                    f"too long ({len(text.strip())} characters, at most {limit})",
                )
                ok = False
            else:
                parts[name] = _clean(text)
        return ItemText(parts["title"], parts["body"]) if ok else None


def _clean(text: str) -> str:
    """Trim each line and the whole text; keep paragraphs (marketing writes multi-line TOML)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


class _Locator:
    """Best-effort line numbers for error messages (tomllib does not report them)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _find(self, pattern: str, start: int = 0, stop: int | None = None) -> int | None:
        regex = re.compile(pattern)
        for number in range(start, len(self.lines) if stop is None else stop):
            if regex.search(self.lines[number]):
                return number
        return None

    def top(self, key: str) -> int | None:
        first_table = self._find(r"^\s*\[")
        found = self._find(rf"^\s*{re.escape(key)}\s*=", 0, first_table)
        if found is None:
            found = self._find(rf"^\s*\[\[?\s*{re.escape(key)}\s*\]")
        return None if found is None else found + 1

    def _span(self, section: str, index: int) -> tuple[int, int] | None:
        header = re.compile(rf"^\s*\[\[\s*{re.escape(section)}\s*\]\]")
        starts = [n for n, line in enumerate(self.lines) if header.search(line)]
        if index >= len(starts):
            return None
        start = starts[index]
        nxt = self._find(r"^\s*\[\[", start + 1)
        return start, len(self.lines) if nxt is None else nxt

    def header(self, section: str, index: int) -> int | None:
        span = self._span(section, index)
        return None if span is None else span[0] + 1

    def field(self, section: str, index: int, name: str, lang: str | None = None) -> int | None:
        span = self._span(section, index)
        if span is None:
            return None
        start, stop = span
        if lang is not None:
            dotted = self._find(rf"^\s*{lang}\.{re.escape(name)}\s*=", start, stop)
            if dotted is not None:
                return dotted + 1
            table = self._find(rf"^\s*\[\s*{re.escape(section)}\.{lang}\s*\]", start, stop)
            if table is None:
                return None
            start = table + 1
            block_end = self._find(r"^\s*\[", start, stop)
            stop = stop if block_end is None else block_end
        if lang is None:  # item-level keys come before the item's [section.xx] tables
            sub = self._find(r"^\s*\[", start + 1, stop)
            found = self._find(
                rf"^\s*{re.escape(name)}\s*[=.]", start, stop if sub is None else sub
            )
        else:
            found = self._find(rf"^\s*{re.escape(name)}\s*[=.]", start, stop)
        if found is None and lang is None:
            found = self._find(
                rf"^\s*\[\s*{re.escape(section)}\.{re.escape(name)}\s*\]", start, stop
            )
        return None if found is None else found + 1
