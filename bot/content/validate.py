"""Validation of one library file: every problem, with file, line and field, not just the first.

``tomllib`` reports no line numbers for valid TOML, so :class:`_Locator` finds them in the
text (best effort: the item's ``[[header]]`` line when the field itself is not written).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.config import Product
from bot.content.anonymize import KNOWN_INDUSTRIES
from bot.content.items import LANGUAGES, ItemKind, ItemText, LibraryItem, Problem

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_TITLE = 200
MAX_BODY = 3000

SECTIONS: dict[str, ItemKind] = {
    "arguments": ItemKind.ARGUMENT,
    "offers": ItemKind.OFFER,
    "services": ItemKind.SERVICE,
}
FILE_KEYS = ("line", "industries", *SECTIONS)
ITEM_KEYS = ("key", "industries", "products", "valid_from", "valid_until", "url", *LANGUAGES)
TEXT_KEYS = ("title", "body")


class FileReader:
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
