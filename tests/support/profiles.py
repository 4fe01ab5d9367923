"""Builders for pure matching tests: lead and partner profiles, settings, one verdict."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from bot.config import Settings
from bot.geo import locate
from bot.matching import Check, LeadProfile, PartnerProfile, explain, rank

PRODUCTS = [
    {"id": "X200", "line": "X-series", "min_certification": "basic"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud", "min_certification": "basic"},
]

MUNICH = (48.137, 11.575)
NUREMBERG = (49.452, 11.077)
BERLIN = (52.520, 13.405)


def matching_settings(products: list[dict[str, Any]] | None = None, **matching: Any) -> Settings:
    data: dict[str, Any] = {"products": PRODUCTS if products is None else products}
    weights = dict(matching.get("weights") or {})
    if "fairness" in weights:  # its weight is [matching] fairness, not [matching.weights]
        matching = {**matching, "weights": weights, "fairness": weights.pop("fairness")}
    if matching:
        data["matching"] = matching
    return Settings.model_validate(data)


def lead(**fields: Any) -> LeadProfile:
    """A consenting 120-employee food company in München (80331) asking for an X200."""
    place = locate("DE", "80331")
    values: dict[str, Any] = {
        "lead_id": 1,
        "country": "DE",
        "region": place.region,
        "postal_code": "80331",
        "lat": MUNICH[0],
        "lon": MUNICH[1],
        "products": ("X200",),
        "employees": 120,
        "industry": "food",
        "consent_partner_contact": True,
        "postal_area": "80",
    }
    values.update(fields)
    return LeadProfile(**values)


def partner(partner_id: str = "P1", **fields: Any) -> PartnerProfile:
    """A gold partner serving all of Germany, X-series advanced, X200 in stock, 0 of 5."""
    values: dict[str, Any] = {
        "id": partner_id,
        "name": f"Partner {partner_id}",
        "tier": "gold",
        "certifications": {"X-series": "advanced"},
        "country": "DE",
        "postal_code": None,
        "lat": None,
        "lon": None,
        "service_radius_km": None,
        "regions": ("DE",),
        "segments": (),
        "products": ("X200",),
        "max_open_leads": 5,
    }
    values.update(fields)
    return PartnerProfile(**values)


def verdict(
    lead_profile: LeadProfile,
    partner_profile: PartnerProfile,
    name: str,
    settings: Settings | None = None,
    excluded: Collection[str] = frozenset(),
) -> tuple[Check, bool]:
    """One filter's explained verdict, and whether the fast ranking lists the partner.

    Every filter test asserts both, so the explanation and the ranking cannot disagree.
    """
    settings = settings or matching_settings()
    explained = explain(lead_profile, partner_profile, excluded, settings)
    check = next(c for c in explained.checks if c.name == name)
    ranked = partner_profile.id in rank(lead_profile, [partner_profile], excluded, settings).ids
    assert ranked == explained.eligible, (explained.checks, ranked)
    return check, ranked


__all__ = ["lead", "matching_settings", "partner", "replace", "verdict"]
