"""Reasons typed as a word, in either language: ``lost 12 preis`` as ``lost 12 price``.

The reasons of *lost*, *hand back* and *decline* are codes (``price``, ``no_capacity``);
the chats' buttons and forms show them in the reader's words, but a typed command took the
English code only — a German rep's ``lost 12 preis`` was refused with a list of English
codes. A typed reason is now the code or its word in any language leadbot speaks,
compared without case, with ``-``, ``_`` and spaces alike and umlauts or their spelling
with ``e`` alike (``keine-kapazitaet`` is ``keine Kapazität``). The usage and the refusal
list the words the reader would type: the codes in English, the German words in German.
"""

from __future__ import annotations

import re
from functools import cache

from bot.i18n import LANGUAGES, t
from bot.leads.declines import DECLINE_REASONS
from bot.leads.status_reports import HAND_BACK_REASONS, LOST_REASONS

GROUPS: dict[str, tuple[str, ...]] = {
    "lost_reason": LOST_REASONS,
    "hand_back_reason": HAND_BACK_REASONS,
    "decline_reason": DECLINE_REASONS,
}
"""Each choice's i18n group (the words) and its codes."""

_SEPARATORS = re.compile(r"[\s_\-]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def _folded(text: str) -> str:
    return _SEPARATORS.sub("-", text.strip().casefold().translate(_UMLAUTS)).strip("-")


@cache
def _codes_by_word(group: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for code in GROUPS[group]:
        found[_folded(code)] = code
        for language in LANGUAGES:
            found.setdefault(_folded(t(language, f"{group}.{code}")), code)
    return found


def code_of(group: str, typed: str) -> str | None:
    """The code ``typed`` names in ``group``, or None."""
    return _codes_by_word(group).get(_folded(typed))


def typed_words(group: str, language: str) -> list[str]:
    """What a reader of ``language`` types for each choice: the codes in English, else the
    words (``kein-budget``; a space would end the word)."""
    if language == "en":
        return list(GROUPS[group])
    return [_SEPARATORS.sub("-", t(language, f"{group}.{c}").lower()) for c in GROUPS[group]]


def usage(group: str) -> str:
    """The choice in a verb's usage: ``price|competitor|…`` (said per reader, see
    :func:`group_of_usage`)."""
    return "|".join(GROUPS[group])


def group_of_usage(text: str) -> str | None:
    """The group whose :func:`usage` ``text`` is, or None."""
    return next((g for g in GROUPS if usage(g) == text), None)
