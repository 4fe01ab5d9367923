"""The lead intake contract (DESIGN §6, HTTP): one schema for the API, CSV and JSON import.

Unknown fields are refused rather than dropped, so a CRM integration with a typo learns of
it on the first request instead of losing data silently.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,15}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,11}$")

Timeline = Literal["immediate", "3_months", "6_months", "12_months", "later", "unknown"]


def _strip(value: str) -> str:
    return value.strip()


Text = Annotated[str, AfterValidator(_strip)]


def normalise_domain(value: str) -> str:
    """``https://www.Example.de/x`` -> ``example.de``."""
    value = value.strip().lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/")[0].split(":")[0]
    return value.removeprefix("www.").rstrip(".")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class AddressIn(Strict):
    street: Text | None = Field(default=None, max_length=300)
    postal_code: Text | None = Field(default=None, max_length=16)
    city: Text | None = Field(default=None, max_length=200)
    country: Text = Field(description="ISO 3166-1 alpha-2, e.g. DE, AT, CH")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.upper()
        if not _COUNTRY.match(value):
            raise ValueError("must be a two-letter ISO country code such as DE")
        return value

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, value: str | None) -> str | None:
        if value and not _POSTAL.match(value):
            raise ValueError("not a postal code")
        return value or None

    @model_validator(mode="after")
    def _both_coordinates(self) -> AddressIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class CompanyIn(Strict):
    name: Text = Field(min_length=1, max_length=300)
    industry: Text | None = Field(default=None, max_length=100)
    employees: int | None = Field(default=None, ge=0, le=10_000_000)
    annual_revenue_eur: int | None = Field(default=None, ge=0)
    domain: Text | None = Field(default=None, max_length=253)
    ticker: Text | None = Field(default=None, max_length=16)
    address: AddressIn

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if not value:
            return None
        domain = normalise_domain(value)
        if not _DOMAIN.match(domain):
            raise ValueError("not a domain name such as example.de")
        return domain

    @field_validator("ticker")
    @classmethod
    def _ticker(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = value.upper()
        if not _TICKER.match(value):
            raise ValueError("not a ticker symbol such as SIE or SAP.DE")
        return value


class ContactIn(Strict):
    name: Text | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: Text | None = Field(default=None, max_length=64)
    role: Text | None = Field(default=None, max_length=200)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"\+?[0-9 ()/\-]{5,40}", value):
            raise ValueError("not a phone number")
        return value or None

    @model_validator(mode="after")
    def _reachable(self) -> ContactIn:
        if not self.email and not self.phone:
            raise ValueError("an email or a phone number is needed")
        return self


class InterestIn(Strict):
    products: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1)
    estimated_value_eur: int | None = Field(default=None, ge=0)
    timeline: Timeline | None = None
    message: Text | None = Field(default=None, max_length=5000)


class ConsentIn(Strict):
    partner_contact: bool = False
    allowed_partners: list[str] = []
    allowed_tiers: list[str] = []
    given_at: datetime | None = None
    text: Text | None = Field(default=None, max_length=2000)

    @field_validator("given_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2026-03-01T10:00:00+01:00")
        return value


class LeadIn(Strict):
    """A lead as a CRM or marketing-automation tool sends it."""

    external_id: Text | None = Field(default=None, min_length=1, max_length=200)
    campaign: Text | None = Field(default=None, max_length=200)
    source: Text | None = Field(default=None, max_length=200)
    score: int | None = Field(default=None, ge=0, le=100)
    company: CompanyIn
    contact: ContactIn
    interest: InterestIn
    consent: ConsentIn = ConsentIn()


FieldProblem = tuple[tuple[str | int, ...], str]


def check_against_settings(
    lead: LeadIn, products: set[str], tiers: list[str]
) -> list[FieldProblem]:
    """What the schema alone cannot know: the configured products and partner tiers."""
    problems: list[FieldProblem] = []
    for i, product in enumerate(lead.interest.products):
        if products and product not in products:
            known = ", ".join(sorted(products))
            problems.append(
                (("interest", "products", i), f"unknown product {product!r} (known: {known})")
            )
    for i, tier in enumerate(lead.consent.allowed_tiers):
        if tier not in tiers:
            problems.append(
                (
                    ("consent", "allowed_tiers", i),
                    f"unknown tier {tier!r} (known: {', '.join(tiers)})",
                )
            )
    return problems
