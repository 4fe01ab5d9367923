"""Line numbers for problems in a library file (``tomllib`` reports none for valid TOML)."""

from __future__ import annotations

import re


class Locator:
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
