"""Settings of who gets a lead: the waves, the matching engine, the product catalogue."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.config.base import Section


class Wave(Section):
    size: int = Field(ge=0, description="partners in this wave; 0 = everyone eligible")
    minutes: int = Field(gt=0)


class DistributionSettings(Section):
    waves: list[Wave] = [
        Wave(size=1, minutes=60),
        Wave(size=5, minutes=120),
        Wave(size=0, minutes=1440),
    ]
    claim_sla_hours: float = Field(default=24, gt=0)
    reminder_before_recall_hours: float = Field(default=4, ge=0)
    pause_after_sla_misses: int = Field(default=3, ge=0, description="0 = never pause")
    timezone: str = "Europe/Berlin"
    follow_up_hour: int = Field(default=9, ge=0, le=23)

    @model_validator(mode="after")
    def _check(self) -> DistributionSettings:
        if not self.waves:
            raise ValueError("waves: at least one wave is needed")
        if self.reminder_before_recall_hours >= self.claim_sla_hours:
            raise ValueError("reminder_before_recall_hours must be below claim_sla_hours")
        return self


class MatchingWeights(Section):
    """How much each score component counts. Each component is in [0, 1]; the score is
    the weighted sum, so only the ratios between weights matter. 0 switches one off."""

    distance: float = Field(default=1.0, ge=0, description="closer is better")
    tier: float = Field(default=1.0, ge=0, description="higher tier (order of `tiers`)")
    certification: float = Field(default=1.0, ge=0, description="level for the lead's lines")
    conversion: float = Field(default=1.0, ge=0, description="historic won / closed, smoothed")
    load: float = Field(default=1.0, ge=0, description="free capacity (fairness)")


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
            raise ValueError("sme_min_employees must be below enterprise_min_employees")
        if self.conversion_prior_won > self.conversion_prior_closed:
            raise ValueError("conversion_prior_won must not exceed conversion_prior_closed")
        return self


class Product(Section):
    id: str = Field(min_length=1)
    line: str = Field(min_length=1)
    name: str = ""
    min_certification: str = "basic"
