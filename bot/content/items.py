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
class Problem:
    """One problem in the library: where (file, line, item and field) and what.

    ``message`` is English (the log, ``--json``-like uses); ``code`` and ``params`` let a
    reader's language say the same (``content_problem.<code>`` in the i18n catalogs).
    """

    file: str
    line: int | None
    where: str
    message: str
    code: str = ""
    params: Mapping[str, object] = field(default_factory=dict, compare=False)

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return (
            f"{self.place}: {self.where}: {self.message}"
            if self.where
            else (f"{self.place}: {self.message}")
        )

    def to_json(self) -> dict[str, object]:
        """What a staff notice carries (and renders in the staff's language)."""
        return {
            "file": self.file,
            "line": self.line,
            "where": self.where,
            "message": self.message,
            "code": self.code,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class Library:
    """The valid items of the library, and what was wrong with the rest.

    Items with a problem are not in ``items``. ``held_keys`` (items that have a problem now)
    and ``held_files`` (files that could not be read as a whole) name what must not be
    taken as deleted: a version published before stays in use until the file is fixed.
    """

    items: tuple[LibraryItem, ...]
    files: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    held_keys: frozenset[str] = frozenset()
    held_files: frozenset[str] = frozenset()

    def by_key(self) -> dict[str, LibraryItem]:
        return {item.key: item for item in self.items}

    def report(self, root: str = "") -> str:
        """Every problem, one a line, under a head naming how many (empty when none)."""
        if not self.problems:
            return ""
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        where = f" {root}" if root else ""
        return f"content library{where} has {count} problem{'s' * (count != 1)}:\n{lines}"


class LibraryError(Exception):
    """The library cannot be read at all (its directory is missing); nothing changes."""

    def __init__(self, problems: Sequence[Problem], root: str = "") -> None:
        self.problems = list(problems)
        super().__init__(Library((), problems=tuple(self.problems)).report(root))
