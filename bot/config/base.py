"""What every settings section shares: strict validation, immutability, secret fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending key."""


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
