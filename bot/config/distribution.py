"""Settings of who gets a lead: the waves, the matching engine, the product catalogue."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bot.config.base import Mismatch, Section
from bot.plaintext import LIST_SEPARATOR, bad_character, quoted, trim

MAX_WAVE_MINUTES = 366 * 24 * 60
"""A wave lasts at most a year: its end is a date, and an end beyond year 9999 crashed
every import that offered a lead."""
MAX_WAVES = 50
"""Waves of a lead: the round's end (now + all waves) must stay a date too."""
MAX_SLA_HOURS = 365 * 24
"""The claim SLA and its reminder are timers; a year is far beyond any sensible SLA."""
MAX_WEIGHT = 1000.0
"""A score weight: only the ratios matter, so 1000 : 1 is more than any tuning needs,
and the weighted sum stays a finite number."""


class Wave(Section):
    size: int = Field(ge=0, description="partners in this wave; 0 = everyone eligible")
    minutes: int = Field(gt=0, le=MAX_WAVE_MINUTES)


class DistributionSettings(Section):
    waves: list[Wave] = Field(
        default=[
            Wave(size=1, minutes=60),
            Wave(size=5, minutes=120),
            Wave(size=0, minutes=1440),
        ],
        max_length=MAX_WAVES,
    )
    claim_sla_hours: float = Field(default=24, gt=0, le=MAX_SLA_HOURS)
    reminder_before_recall_hours: float = Field(default=4, ge=0, le=MAX_SLA_HOURS)
    pause_after_sla_misses: int = Field(default=3, ge=0, description="0 = never pause")
    timezone: str = "Europe/Berlin"
    follow_up_hour: int = Field(default=9, ge=0, le=23)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """An unknown zone passed loading and then crashed every report, import and pause
        that showed a local time; ask the zone database once, here."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"{quoted(value)} is not a time zone of the IANA database, e.g. Europe/Berlin"
            ) from None
        return value

    @model_validator(mode="after")
    def _check(self) -> DistributionSettings:
        if not self.waves:
            raise ValueError("waves: at least one wave is needed")
        if self.reminder_before_recall_hours >= self.claim_sla_hours:
            raise Mismatch(
                "reminder_before_recall_hours",
                f"{self.reminder_before_recall_hours:g} must be below claim_sla_hours "
                f"({self.claim_sla_hours:g})",
                "claim_sla_hours",
            )
        return self


class MatchingWeights(Section):
    """How much each score component counts. Each component is in [0, 1]; the score is
    the weighted sum, so only the ratios between weights matter. 0 switches one off."""

    distance: float = Field(default=1.0, ge=0, le=MAX_WEIGHT, description="closer is better")
    tier: float = Field(
        default=1.0, ge=0, le=MAX_WEIGHT, description="higher tier (order of `tiers`)"
    )
    certification: float = Field(
        default=1.0, ge=0, le=MAX_WEIGHT, description="level for the lead's lines"
    )
    conversion: float = Field(
        default=1.0, ge=0, le=MAX_WEIGHT, description="historic won / closed, smoothed"
    )
    load: float = Field(default=1.0, ge=0, le=MAX_WEIGHT, description="free capacity (fairness)")


class MatchingSettings(Section):
    """The matching engine: hard filters and score. ``docs/matching.md`` explains each key."""

    tiers: list[str] = Field(
        default=["platinum", "gold", "silver", "registered"], description="best first"
    )
    certification_levels: list[str] = Field(
        default=["basic", "advanced", "expert"], description="lowest first"
    )
    require_certification: bool = True  # partner certified for each product's line
    require_stock: bool = False  # partner lists each product in its `products`
    unknown_products: Literal["ignore", "refuse"] = "ignore"  # products not in [[products]]
    enterprise_min_employees: int = Field(default=1000, ge=1)
    sme_min_employees: int = Field(default=1, ge=0)
    public_industries: list[str] = ["public", "government", "education", "healthcare-public"]
    max_distance_km: float = Field(default=300, gt=0, description="distance score 0 from here")
    conversion_prior_won: float = Field(default=1, ge=0)
    conversion_prior_closed: float = Field(default=4, gt=0)
    weights: MatchingWeights = MatchingWeights()
    fairness: float = Field(
        default=1.0,
        ge=0,
        le=MAX_WEIGHT,
        description="weight of fairness: fewer recent leads score higher; 0 = off",
    )
    fairness_days: int = Field(default=30, ge=1, le=365, description="the window fairness counts")

    @model_validator(mode="after")
    def _check(self) -> MatchingSettings:
        for name in ("tiers", "certification_levels"):
            values = [v.strip().lower() for v in getattr(self, name)]
            if not values or not all(values):
                raise ValueError(f"{name}: needs at least one non-empty name")
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: names must be unique (case-insensitive)")
        if self.sme_min_employees >= self.enterprise_min_employees:
            raise Mismatch(
                "sme_min_employees",
                f"{self.sme_min_employees} must be below enterprise_min_employees "
                f"({self.enterprise_min_employees})",
                "enterprise_min_employees",
            )
        if self.conversion_prior_won > self.conversion_prior_closed:
            raise Mismatch(
                "conversion_prior_won",
                f"{self.conversion_prior_won:g} must not exceed conversion_prior_closed "
                f"({self.conversion_prior_closed:g})",
                "conversion_prior_closed",
            )
        return self


class Product(Section):
    id: str = Field(min_length=1)
    line: str = Field(min_length=1)
    name: str = ""
    min_certification: str = "basic"

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        """The id is what partners' and leads' CSV cells list, separated by ';' and
        trimmed: an id with a ';', a control character or blank ends could never be named
        there (nor typed in a chat)."""
        problem = bad_character(value)
        if problem:
            raise ValueError(f"{quoted(value)} {problem}")
        if LIST_SEPARATOR in value:
            raise ValueError(
                f"{quoted(value)} contains {LIST_SEPARATOR!r}, which separates the products "
                "listed in a CSV cell"
            )
        if trim(value) != value:
            raise ValueError(f"{quoted(value)} begins or ends with blank space")
        return value
