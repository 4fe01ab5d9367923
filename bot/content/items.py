"""The items of the sales-content library, as validated — and the errors a library can have.

Each item gets a ``version``: a hash of everything a rep sees (texts, dates, link). Editing
that changes the version, which is what makes an update go out. Who gets an item
(``industries``, ``products``) is deliberately not part of it: widening the audience sends
the item to the newly fitting leads only, and nobody gets the same text twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

LANGUAGES = ("de", "en")


class ItemKind(StrEnum):
    ARGUMENT = "argument"
    OFFER = "offer"
    SERVICE = "service"


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
