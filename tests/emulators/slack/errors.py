"""Slack API errors, and reading parameters the way Slack's form and JSON bodies send them."""

from __future__ import annotations

import json
from typing import Any


class SlackFailure(Exception):
    """A Slack API error: answered as ``{"ok": false, "error": code}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def as_json(value: Any, name: str) -> Any:
    """Form bodies carry ``blocks``/``view``/... as JSON text; JSON bodies as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except ValueError as exc:
            raise SlackFailure("invalid_arguments", detail=f"{name} is not valid JSON") from exc
    return value


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)
