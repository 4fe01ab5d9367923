"""Turning validation errors into field problems a CRM developer or a person can act on.

Shared by the HTTP API (422 bodies) and the file import (one line per problem), so both
name the same field the same way: ``company.address.postal_code``,
``interest.products[1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from bot.config import Settings
from bot.intake.schema import LeadIn, check_against_settings
from bot.intake.types import TIMESTAMP_RULE
from bot.plaintext import quoted

Loc = tuple[str | int, ...]

MAX_PROBLEMS = 50
"""Problems listed per lead: a body of a megabyte can hold 50,000 unknown keys, and a 422
that names each would be many times the request (and an import's report unreadable). The
rest are counted in one last problem; fixing the listed ones shows the next."""

_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
}


@dataclass(frozen=True)
class FieldProblem:
    loc: Loc
    message: str
    type: str

    @property
    def field(self) -> str:
        return field_path(self.loc)


def field_path(loc: Loc) -> str:
    """``("interest", "products", 1)`` -> ``interest.products[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(lead)"


def from_validation_error(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        message = _MESSAGES.get(item["type"], item["msg"])
        if item["type"].startswith(("datetime_", "date_", "time_", "timezone_")):
            # A timestamp pydantic could not read in a way timestamp_fault does not know
            # ("+01" without minutes): the rule, not pydantic's parser wording.
            message = TIMESTAMP_RULE
        message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(tuple(item["loc"]), message, item["type"]))
    return problems


def settings_problems(lead: LeadIn, settings: Settings) -> list[FieldProblem]:
    """What only the configuration knows: products and partner tiers."""
    products = {p.id for p in settings.products}
    return [
        FieldProblem(tuple(loc), message, "unknown_value")
        for loc, message in check_against_settings(lead, products, settings.matching.tiers)
    ]


def _strings_at(data: object, *path: str) -> list[object]:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, list) else []


def _raw_settings_problems(data: object, settings: Settings) -> list[FieldProblem]:
    """The settings checks on a record the schema refused, so one round reports everything."""
    products = {p.id for p in settings.products}
    tiers = settings.matching.tiers
    problems = []
    for i, value in enumerate(_strings_at(data, "interest", "products")):
        if isinstance(value, str) and products and value not in products:
            known = ", ".join(sorted(products))
            message = f"unknown product {quoted(value)} (known: {known})"
            problems.append(FieldProblem(("interest", "products", i), message, "unknown_value"))
    for i, value in enumerate(_strings_at(data, "consent", "allowed_tiers")):
        if isinstance(value, str) and value not in tiers:
            message = f"unknown tier {quoted(value)} (known: {', '.join(tiers)})"
            problems.append(FieldProblem(("consent", "allowed_tiers", i), message, "unknown_value"))
    return problems


def at_most(problems: list[FieldProblem], limit: int = MAX_PROBLEMS) -> list[FieldProblem]:
    """The first ``limit`` problems and, if there are more, one that counts the rest."""
    if len(problems) <= limit:
        return problems
    rest = len(problems) - limit
    message = (
        f"{rest:,} more problems not listed (at most {limit} are named per lead); "
        "fix these and send the lead again to see the rest"
    )
    return [*problems[:limit], FieldProblem((), message, "too_many_problems")]


def validate_lead(data: object, settings: Settings) -> tuple[LeadIn | None, list[FieldProblem]]:
    """The whole contract: the schema, then the settings-dependent checks (all reported,
    up to :data:`MAX_PROBLEMS`)."""
    try:
        lead = LeadIn.model_validate(data)
    except ValidationError as exc:
        problems = from_validation_error(exc)
        reported = {p.loc for p in problems}
        extra = [p for p in _raw_settings_problems(data, settings) if p.loc not in reported]
        return None, at_most(problems + extra)
    problems = settings_problems(lead, settings)
    return (None, at_most(problems)) if problems else (lead, [])
