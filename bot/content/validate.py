"""Validation of one library file: every problem, with file, line and field, not just the first.

``tomllib`` reports no line numbers for valid TOML, so :class:`~bot.content.locate.Locator`
finds them in the text (best effort: the item's ``[[header]]`` line when the field itself
is not written). An item with a problem is left out (and its key remembered, so that a
version published before stays in use); a file that cannot be read as a whole is marked.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from bot.config import Product
from bot.content.anonymize import KNOWN_INDUSTRIES
from bot.content.items import LANGUAGES, ItemKind, ItemText, LibraryItem, Problem
from bot.content.locate import Locator
from bot.plaintext import bad_character, quoted, refused_character

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


def toml_type(value: object) -> str:
    """The TOML type of a parsed value, for "must be text, not a TOML integer value"."""
    return next((name for kind, name in _TOML_TYPES if isinstance(value, kind)), "other")


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

    def _not_text(self, line: int | None, where: str, value: object) -> None:
        """``key = 5``: a value of the wrong type is named as such, not as missing."""
        found = toml_type(value)
        self.problem(
            line,
            where,
            f"must be text in quotes, not a TOML {found} value",
            "not_text",
            {"found": found},
        )

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
            self._not_text(self.locate.top("line"), "line", line)
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
        defaults = self._industries(
            data.get("industries", []), self.locate.top("industries"), "industries"
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
            self._not_text(at("key"), f"{label}.key", key)
        elif not key:
            bad("key", 'missing: a stable key such as "x200-winter-bundle"', "key_missing")
        elif not KEY_PATTERN.match(key):
            bad(
                "key",
                'use lowercase letters, digits, ".", "_" or "-" (e.g. "x200-winter-bundle")',
                "key_format",
            )
        industries = (
            self._industries(entry["industries"], at("industries"), f"{label}.industries")
            if "industries" in entry
            else defaults
        )
        products = self._products(entry.get("products", []), line, at("products"), label)
        valid_from = self._date(entry, "valid_from", bad)
        valid_until = self._date(entry, "valid_until", bad)
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
            not isinstance(url, str) or not re.fullmatch(r"https?://\S{3,490}", url)
        ):
            bad("url", "must be a web address starting with https://", "url")
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
            self.problem(at, where, 'must be a list of product ids, e.g. ["X500"]', "products")
            return ()
        for product in value:
            if product not in self.product_lines:
                self.problem(
                    at,
                    where,
                    f'unknown product "{product}"',
                    "product_unknown",
                    {"product": product},
                )
            elif self.product_lines[product] != line:
                its = self.product_lines[product]
                self.problem(
                    at,
                    where,
                    f'product "{product}" belongs to line "{its}", not "{line}"',
                    "product_line",
                    {"product": product, "its_line": its, "line": line},
                )
        return tuple(sorted(set(value)))

    def _date(self, entry: dict[str, Any], name: str, bad: Any) -> date | None:
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

    def _text(self, value: Any, section: str, index: int, label: str, lang: str) -> ItemText | None:
        where = f"{label}.{lang}"
        line = self.locate.field(section, index, lang)
        if not isinstance(value, dict):
            self.problem(
                line,
                where,
                f"must be a table: [{section}.{lang}] with title and body",
                "text_table",
                {"section": section, "lang": lang},
            )
            return None
        ok = True
        for name in value:
            if name not in TEXT_KEYS:
                self.problem(
                    self.locate.field(section, index, name, lang),
                    f"{where}.{name}",
                    "unknown key (allowed: title, body)",
                    "unknown_key",
                    {"allowed": "title, body"},
                )
                ok = False
        parts: dict[str, str] = {}
        for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
            text = value.get(name)
            at = self.locate.field(section, index, name, lang) or line
            if text is not None and not isinstance(text, str):
                self._not_text(at, f"{where}.{name}", text)
                ok = False
            elif not text or not text.strip():
                self.problem(at, f"{where}.{name}", "missing text", "text_empty")
                ok = False
            elif (unprintable := _unprintable(text, multiline=name == "body")) is not None:
                problem, char = unprintable
                self.problem(at, f"{where}.{name}", problem, "control_character", {"char": char})
                ok = False
            elif len(text.strip()) > limit:
                length = len(text.strip())
                self.problem(
                    self.locate.field(section, index, name, lang),
                    f"{where}.{name}",
                    f"too long ({length} characters, at most {limit})",
                    "too_long",
                    {"length": length, "limit": limit},
                )
                ok = False
            else:
                parts[name] = _clean(text)
        return ItemText(parts["title"], parts["body"]) if ok else None


def _unprintable(text: str, *, multiline: bool) -> tuple[str, str] | None:
    """Why ``text`` goes out to no rep, and the character (``U+001B``); None when fine.

    The shared rule of :func:`bot.plaintext.bad_character`: a body may hold line breaks and
    tabs (marketing writes multi-line TOML), a title is one line; a NUL, an escape sequence
    or a backspace would reach every rep's chat. Surrounding white space is trimmed anyway.
    """
    text = text.strip()
    problem = bad_character(text, multiline=multiline)
    if problem is None:
        return None
    char = refused_character(text, multiline=multiline)
    assert char is not None
    return problem, f"U+{ord(char):04X}"


def _clean(text: str) -> str:
    """Trim each line and the whole text; keep paragraphs (marketing writes multi-line TOML)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
