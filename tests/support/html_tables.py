"""Reading what a page shows: the cells of the tables in a ``<section id=…>``, element texts."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id: str | None = None
        self._id_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("id")
        if tag == "section" and found:
            self.section = found
        elif found:
            self._id, self._id_text = found, []
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.section:
            self.tables.setdefault(self.section, []).append(self._row)
            self._row = None
        elif self._id is not None and tag in ("b", "span", "p", "h2", "td"):
            self.texts[self._id] = " ".join("".join(self._id_text).split())
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self._id_text.append(data)


def tables(html: str) -> tuple[dict[str, list[list[str]]], dict[str, str]]:
    """Rows (header first) per section id, and the text of elements with an id."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables, parser.texts
