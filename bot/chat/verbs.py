"""The words of a command and how they are read: a :class:`Verb` and its usage in the
reader's language, :class:`Words` consumed left to right by the verb's builder, and the
:class:`UsageError` that says what is wrong. :mod:`bot.chat.grammar` holds the verbs
themselves. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.chat import choices
from bot.chat import commands as c
from bot.chat.results import Reply
from bot.i18n import t
from bot.plaintext import shortened

ID_PATTERN = re.compile(r"#?(\d{1,12})")
DIGITS_PATTERN = re.compile(r"#?(\d+)")
"""A number, of any length: one longer than :data:`ID_PATTERN` allows names no lead or offer (no
database will ever count that far), which is said so — it is a number all the same."""
_TYPED = frozenset({"value", "word"})
"""The params of a :class:`UsageError` that quote what the person typed."""


class UsageError(Exception):
    """The text could not be understood. ``key``/``params`` say why (i18n ``usage.*``)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(f"{key}: {params}")
        self.key = key
        # What was typed is named by its start: a pasted wall of text echoed whole buried
        # the answer, and past 4096 characters Telegram refused to deliver it at all.
        self.params = {
            name: shortened(value) if name in _TYPED and isinstance(value, str) else value
            for name, value in params.items()
        }

    def reply(self) -> Reply:
        """The error as an answer to the person who typed it."""
        return Reply(self.key, ok=False, params=dict(self.params))


@dataclass(frozen=True)
class Verb:
    name: str
    kind: type  # the command it makes (permissions are per command type)
    args: str  # the usage after the verb, e.g. "<lead> <revenue €>"
    build: Callable[[Words], c.Command]
    aliases: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        return f"{self.name} {self.args}".strip()

    def usage_in(self, language: str) -> str:
        """:attr:`usage` as a reader of ``language`` reads it: ``won <Lead-Nr.> <Umsatz €>``."""
        return localised_usage(self.usage, language)


PLACEHOLDERS = {
    "offer": "offer",
    "lead": "lead",
    "partner": "partner",
    "revenue €": "revenue",
    "note": "note",
    "reason": "reason",
    "date": "date",
    "YYYY-MM-DD | DD.MM.YYYY | +3d | +1w | tomorrow": "follow_up_date",
    "consent": "consent",
    "until": "until",
    "rep e-mail": "rep_email",  # the console's own "as <rep e-mail>"
}
"""The words of a usage a reader's language says (i18n ``placeholder.<key>``): what to fill
in (``<lead>``), and the few words typed as they stand, which the parser knows in both
languages (``until``/``bis``, ``consent``/``einwilligung``, ``tomorrow``/``morgen``). The
verb itself and the codes of a choice (``<price|competitor|…>``) stay: they are typed so."""
_PLACEHOLDER = re.compile(r"(?<=[<\[])[^<>\[\]]+(?=[>\]])|\buntil\b")


def localised_usage(usage: str, language: str) -> str:
    """A verb's usage (``won <lead> <revenue €>``) in ``language``: its placeholders said
    there, its words to type as they are."""

    def say(found: re.Match[str]) -> str:
        key = PLACEHOLDERS.get(found.group(0))
        if key:
            return t(language, f"placeholder.{key}")
        group = choices.group_of_usage(found.group(0))
        return "|".join(choices.typed_words(group, language)) if group else found.group(0)

    return _PLACEHOLDER.sub(say, usage)


@dataclass
class Words:
    """The words after a verb, consumed left to right by the verb's builder."""

    verb: Verb
    rest: list[str]
    today: date
    used: int = field(default=0)

    def fail(self, key: str, **params: Any) -> UsageError:
        return UsageError(key, verb=self.verb.name, usage=self.verb.usage, **params)

    def take(self) -> str:
        if self.used >= len(self.rest):
            raise self.fail("usage.missing")
        self.used += 1
        return self.rest[self.used - 1]

    def number(self, what: str) -> int:
        value = self.take()
        match = ID_PATTERN.fullmatch(value)
        if match is None:
            if (digits := DIGITS_PATTERN.fullmatch(value)) is not None:
                raise self.fail(f"usage.number_too_large_{what}", value=digits.group(1))
            raise self.fail(f"usage.number_{what}", value=value)
        return int(match.group(1))

    def choice(self, group: str) -> str:
        """One of ``group``'s codes, typed as the code or its word (:mod:`bot.chat.choices`)."""
        typed = self.take()
        code = choices.code_of(group, typed)
        if code is None:
            raise self.fail("usage.reason", value=typed.lower(), allowed={"group": group})
        return code

    def optional(self) -> str | None:
        return self.take() if self.used < len(self.rest) else None

    def remainder(self) -> str | None:
        """Everything not used yet, as typed (a free-text note)."""
        text = " ".join(self.rest[self.used :]).strip()
        self.used = len(self.rest)
        return text or None

    def done(self) -> None:
        if self.used < len(self.rest):
            raise self.fail("usage.extra", value=" ".join(self.rest[self.used :]))
