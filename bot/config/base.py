"""What every settings section shares: strict validation, immutability, secret fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending key."""


class TombstoneKeyMismatch(Exception):
    """``LEADBOT_SERVER__TOMBSTONE_KEY`` (or its absence) does not fit the database: its
    tombstones are made with another key, so this process would miss them and let erased
    leads back in. Raised before anything is written; the message never shows a key
    (:mod:`bot.crm.tombstones`). The CLI ends with exit status 1, ``leadbot serve`` does
    not start."""


class Mismatch(ValueError):
    """Keys of one section that do not fit together, raised by its validator.

    Said as ``"<key>: <why, with the values>"`` like any section check about one key
    (``"digest: 'monday 8' is not …"``); ``others`` are the other keys it names. Loading
    puts ``key`` into the error's place and names the environment variable of each key
    whose value came from there (``distribution.reminder_before_recall_hours (from
    LEADBOT_DISTRIBUTION__REMINDER_BEFORE_RECALL_HOURS): 30 must be below …``)."""

    def __init__(self, key: str, why: str, *others: str) -> None:
        super().__init__(f"{key}: {why}")
        self.others = others


def secret_field(env: str) -> Any:
    """A secret setting: accepted only from the environment variable ``env`` (the loader
    refuses it in the file, naming the variable), and ``SecretStr`` so no repr shows it."""
    return Field(default=None, json_schema_extra={"secret": True, "env": env})


class Section(BaseModel):
    """A settings table: an unknown key is an error (a typo must not pass silently), and
    settings never change after loading (one ``Settings`` is shared by every task).

    No number may be ``inf`` or ``nan`` (TOML has both): no setting means "forever", and
    either one passed every ``ge``/``le`` check only to crash a timer, a report's decimal
    arithmetic or the ranking at run time."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def http_url_problem(url: str) -> str | None:
    """What keeps ``url`` from being an http(s) URL leadbot can call or link to, or None:
    a space or control character, a port that is no number, another scheme, no host."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or too large
    except ValueError:
        return "not a URL (is the port a number up to 65535?)"
    if parts.scheme not in ("https", "http"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "has no host"
    return None
