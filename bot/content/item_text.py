"""An item's text in one language (``[offers.de]`` with ``title`` and ``body``), checked.

The text goes out to reps' chats as written, so it is held to what every chat can show:
both parts present, within a length limit, and free of characters that would reach a
rep's chat as control codes (the shared rule of :mod:`bot.plaintext`). Surrounding white
space is trimmed and paragraphs kept, as marketing writes multi-line TOML.
"""

from __future__ import annotations

import re
from typing import Any

from bot.content.field_checks import Report, not_text
from bot.content.items import ItemText
from bot.content.locate import Locator
from bot.plaintext import bad_character, refused_character

MAX_TITLE = 200
MAX_BODY = 3000
TEXT_KEYS = ("title", "body")


def item_text(
    value: Any,
    section: str,
    index: int,
    label: str,
    lang: str,
    locate: Locator,
    report: Report,
) -> ItemText | None:
    """The title and body of item ``index`` of ``section`` in ``lang``; None when faulty.

    Every problem of the text is reported (``label`` names the item), not just the first.
    """
    where = f"{label}.{lang}"
    line = locate.field(section, index, lang)
    if not isinstance(value, dict):
        report(
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
            report(
                locate.field(section, index, name, lang),
                f"{where}.{name}",
                "unknown key (allowed: title, body)",
                "unknown_key",
                {"allowed": "title, body"},
            )
            ok = False
    parts: dict[str, str] = {}
    for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        text = value.get(name)
        at = locate.field(section, index, name, lang) or line
        if text is not None and not isinstance(text, str):
            not_text(report, at, f"{where}.{name}", text)
            ok = False
        elif not text or not text.strip():
            report(at, f"{where}.{name}", "missing text", "text_empty")
            ok = False
        elif (unprintable := _unprintable(text, multiline=name == "body")) is not None:
            problem, char = unprintable
            report(at, f"{where}.{name}", problem, "control_character", {"char": char})
            ok = False
        elif len(text.strip()) > limit:
            length = len(text.strip())
            report(
                locate.field(section, index, name, lang),
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
