"""Coarsen a lead into the facts a teaser may show (DESIGN §4).

The teaser is seen by every partner in a wave, so it must not let anyone identify the
prospect: no company name, domain, ticker, contact, street, exact postal code or free text.
Numbers become bands, the place becomes a state or two-digit postal area, and free-text
fields are shown only as a value of a known vocabulary (:mod:`bot.content.vocabulary` maps
loose CRM values such as a timeline "Q1 2027" onto it). Everything here is pure.
"""

from __future__ import annotations

from bot.content.vocabulary import KNOWN_INDUSTRIES, TIMELINES, industry_key, timeline_band
from bot.delivery.notices import TeaserFacts
from bot.models import Lead

__all__ = ["KNOWN_INDUSTRIES", "TIMELINES", "industry_label", "teaser_facts"]

EMPLOYEE_BANDS: tuple[tuple[int, str], ...] = (
    (10, "1-9"),
    (50, "10-49"),
    (250, "50-249"),
    (1000, "250-999"),
    (5000, "1000-4999"),
)
REVENUE_BANDS_EUR: tuple[tuple[int, str], ...] = (
    (2_000_000, "< 2 Mio"),
    (10_000_000, "2-10 Mio"),
    (50_000_000, "10-50 Mio"),
    (250_000_000, "50-250 Mio"),
    (1_000_000_000, "250 Mio - 1 Mrd"),
)
VALUE_BANDS_EUR: tuple[tuple[int, str], ...] = (
    (10_000, "< 10k"),
    (50_000, "10-50k"),
    (100_000, "50-100k"),
    (250_000, "100-250k"),
    (1_000_000, "250k-1 Mio"),
)


def _band(value: int | None, bands: tuple[tuple[int, str], ...], top: str) -> str:
    if value is None:
        return "unknown"
    for limit, label in bands:
        if value < limit:
            return label
    return top


def employee_band(employees: int | None) -> str:
    return _band(employees, EMPLOYEE_BANDS, "5000+")


def revenue_band(revenue_eur: int | None) -> str:
    return _band(revenue_eur, REVENUE_BANDS_EUR, "> 1 Mrd")


def value_band(value_eur: int | None) -> str:
    return _band(value_eur, VALUE_BANDS_EUR, "> 1 Mio")


def temperature(score: int | None) -> str:
    if score is None:
        return "unknown"
    if score >= 80:
        return "hot"
    if score >= 50:
        return "warm"
    return "cold"


def industry_label(industry: str | None) -> str:
    """A vocabulary industry (as given or mapped from a synonym), ``other`` for the rest."""
    if not industry:
        return "unknown"
    return industry_key(industry) or "other"


def region_label(lead: Lead) -> str:
    """State code (``DE-BY``) when known, else country and two-digit postal area."""
    if lead.region:
        return lead.region
    if lead.country and lead.postal_area:
        return f"{lead.country}-{lead.postal_area}xxx"
    return lead.country or "unknown"


def teaser_facts(lead: Lead, known_products: frozenset[str] | None = None) -> TeaserFacts:
    products = tuple(p for p in lead.products if known_products is None or p in known_products)
    return TeaserFacts(
        industry=industry_label(lead.industry),
        employee_band=employee_band(lead.employees),
        revenue_band=revenue_band(lead.annual_revenue_eur),
        country=lead.country or "unknown",
        region=region_label(lead),
        products=products,
        value_band=value_band(lead.estimated_value_eur),
        timeline=timeline_band(lead.timeline, lead.created_at.date())
        if lead.created_at is not None
        else (lead.timeline if lead.timeline in TIMELINES else "unknown"),
        temperature=temperature(lead.score),
        score=lead.score,
        created_at=lead.created_at,
    )
