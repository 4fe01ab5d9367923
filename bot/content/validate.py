"""Validation of one library file: every problem, with file, line and field, not just the first.

``tomllib`` reports no line numbers for valid TOML, so :class:`~bot.content.locate.Locator`
finds them in the text (best effort: the item's ``[[header]]`` line when the field itself
is not written). An item with a problem is left out (and its key remembered, so that a
version published before stays in use); a file that cannot be read as a whole is marked.

This module reads the file and its items; the checks of single values are in
:mod:`bot.content.field_checks` and :mod:`bot.content.item_text`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from typing import Any

from bot.config import Product
from bot.content.field_checks import date_field, industries, not_text, products
from bot.content.item_text import item_text
from bot.content.items import LANGUAGES, ItemKind, ItemText, LibraryItem, Problem
from bot.content.locate import Locator

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")

SECTIONS: dict[str, ItemKind] = {
    "arguments": ItemKind.ARGUMENT,
    "offers": ItemKind.OFFER,
    "services": ItemKind.SERVICE,
}
FILE_KEYS = ("line", "industries", *SECTIONS)
ITEM_KEYS = ("key", "industries", "products", "valid_from", "valid_until", "url", *LANGUAGES)


class FileReader:
    """Validates one file, collecting problems instead of stopping at the first one."""

    def __init__(self, name: str, products: Sequence[Product]) -> None:
        self.name = name
        self.product_lines = {p.id: p.line for p in products}
        self.lines = sorted({p.line for p in products})
        self.problems: list[Problem] = []
        self.keys: list[tuple[str, Problem]] = []  # every key seen, with where it is
        self.held_keys: set[str] = set()  # items with a problem: their last version stays
        self.whole_file = False  # the file could not be read as a whole: nothing in it counts
        self.locate = Locator("")

    def problem(
        self,
        line: int | None,
        where: str,
        message: str,
        code: str = "",
        params: dict[str, object] | None = None,
    ) -> None:
        """Record a problem: the English ``message``, and ``code``/``params`` for other
        languages (``content_problem.<code>``)."""
        self.problems.append(Problem(self.name, line, where, message, code, params or {}))

    def read(self, text: str) -> list[LibraryItem]:
        self.locate = Locator(text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            self.whole_file = True
            self.problem(
                int(line.group(1)) if line else None,
                "",
                f"not valid TOML: {exc}",
                "toml",
                {"error": str(exc)},
            )
            return []
        except RecursionError:  # tomllib recurses once per nested array or inline table
            self.whole_file = True
            message = "not valid TOML: nested too deeply"
            self.problem(None, "", message, "toml", {"error": "nested too deeply"})
            return []
        for key in data:
            if key not in FILE_KEYS:
                allowed = ", ".join(FILE_KEYS)
                self.problem(
                    self.locate.top(key),
                    key,
                    f"unknown key (allowed: {allowed})",
                    "unknown_key",
                    {"allowed": allowed},
                )
        line = data.get("line")
        if line is not None and not isinstance(line, str):
            self.whole_file = True
            not_text(self.problem, self.locate.top("line"), "line", line)
            return []
        if not isinstance(line, str) or not line.strip():
            self.whole_file = True
            example = self.lines[0] if self.lines else "X-series"
            self.problem(
                self.locate.top("line"),
                "line",
                f'missing: the product line, e.g. line = "{example}"',
                "line_missing",
                {"example": example},
            )
            return []
        if line not in self.lines:
            self.whole_file = True
            lines = ", ".join(self.lines) or "none"
            self.problem(
                self.locate.top("line"),
                "line",
                f'unknown product line "{line}" (lines in [[products]]: {lines})',
                "line_unknown",
                {"line": line, "lines": lines},
            )
            return []
        defaults = industries(
            data.get("industries", []), self.locate.top("industries"), "industries", self.problem
        )
        out: list[LibraryItem] = []
        for section, kind in SECTIONS.items():
            entries = data.get(section, [])
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                self.whole_file = True  # which items it held is unknown: keep them all
                self.problem(
                    self.locate.top(section),
                    section,
                    f"must be a list of tables written [[{section}]]",
                    "not_tables",
                    {"section": section},
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

        def bad(
            name: str, message: str, code: str = "", params: dict[str, object] | None = None
        ) -> None:
            self.problem(at(name), f"{label}.{name}", message, code, params)

        for name in entry:
            if name not in ITEM_KEYS:
                allowed = ", ".join(ITEM_KEYS)
                bad(name, f"unknown key (allowed: {allowed})", "unknown_key", {"allowed": allowed})
        if key is not None and not isinstance(key, str):
            not_text(self.problem, at("key"), f"{label}.key", key)
        elif not key:
            bad("key", 'missing: a stable key such as "x200-winter-bundle"', "key_missing")
        elif not KEY_PATTERN.match(key):
            bad(
                "key",
                'use lowercase letters, digits, ".", "_" or "-" (e.g. "x200-winter-bundle")',
                "key_format",
            )
        item_industries = (
            industries(entry["industries"], at("industries"), f"{label}.industries", self.problem)
            if "industries" in entry
            else defaults
        )
        item_products = products(
            entry.get("products", []), line, self.product_lines, at("products"), label, self.problem
        )
        valid_from = date_field(entry, "valid_from", bad)
        valid_until = date_field(entry, "valid_until", bad)
        if kind is ItemKind.OFFER and "valid_until" not in entry:
            bad("valid_until", "missing: every offer needs an end date, e.g. 2026-12-31", "end")
        if valid_from and valid_until and valid_until < valid_from:
            bad(
                "valid_until",
                f"{valid_until} is before valid_from {valid_from}",
                "end_before_start",
                {"until": valid_until.isoformat(), "start": valid_from.isoformat()},
            )
        url = entry.get("url")
        if url is not None and (
            not isinstance(url, str) or not re.fullmatch(r"https://\S{3,490}", url)
        ):
            bad("url", "must be a web address starting with https://", "url")
            url = None
        texts: dict[str, ItemText] = {}
        for lang in LANGUAGES:
            if lang in entry:
                text = item_text(
                    entry[lang], section, index, label, lang, self.locate, self.problem
                )
                if text is not None:
                    texts[lang] = text
        if not any(lang in entry for lang in LANGUAGES):
            self.problem(
                self.locate.header(section, index),
                label,
                f"missing text: add [{section}.de] and/or [{section}.en] with title and body",
                "text_missing",
                {"section": section},
            )
        if len(self.problems) > before or not isinstance(key, str):
            if isinstance(key, str):
                self.held_keys.add(key)
            return None
        item = LibraryItem(
            key=key,
            kind=kind,
            line=line,
            texts=texts,
            industries=item_industries,
            products=item_products,
            valid_from=valid_from,
            valid_until=valid_until,
            url=url,
            source=self.name,
        )
        return item
