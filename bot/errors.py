"""Errors a service raises when a request cannot be carried out. Nothing has changed then."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.plaintext import refused_character


class ServiceError(Exception):
    """A request that was refused. The message is for logs and the CLI (English); ``key``
    and ``params``, when given, say the same in the asker's language (i18n) for chats."""

    def __init__(self, message: str, *, key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params

    def said(self, language: str) -> str:
        """The refusal in ``language`` (its ``key``), or the English message without one."""
        if self.key is None:
            return str(self)
        return t(language, self.key, **self.params)


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class InvalidInput(ServiceError):
    """Input that breaks a rule. ``field`` names the input it is about (``revenue``,
    ``reason``, ``date``, ``note``) so that a form shows the refusal at that input,
    whatever language the words are in."""

    def __init__(
        self, message: str, *, key: str | None = None, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(message, key=key, **params)
        self.field = field


class Gone(ServiceError):
    """What was asked for existed once and was erased (the HTTP API answers 410)."""


def check_note(note: str | None) -> None:
    """A note (lost, hand back, decline: free text from a chat, a form, the console) is
    printable text: line breaks and tabs, no other control character. Refused by name
    (:class:`InvalidInput`, ``reply.note_control``) before anything is changed: a NUL made
    PostgreSQL refuse the statement, and the other channels' text rules say the same."""
    char = refused_character(note, multiline=True) if note else None
    if char is not None:
        code = f"U+{ord(char):04X}"
        raise InvalidInput(
            f"note: contains a control character ({code}); only printable text is accepted "
            "(line breaks and tabs are fine)",
            key="reply.note_control",
            field="note",
            code=code,
        )
