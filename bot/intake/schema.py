"""The lead intake contract (DESIGN §6, HTTP): one schema for the API, CSV and JSON import.

Unknown fields are refused rather than dropped, so a CRM integration with a typo learns of
it on the first request instead of losing data silently.

Types are strict where the meaning depends on them: consent is the JSON boolean ``true``
(``"yes"`` or ``1`` is not consent), numbers are JSON numbers — whole numbers without a
fraction, never ``true``/``false`` or text — within bounds that fit the database, a
timestamp is an ISO 8601 string, and text is printable, trimmed and, where it names
something, not blank (:mod:`bot.plaintext`). The file import turns CSV cells into these
types first (:mod:`bot.intake.lead_csv`). Each rule is stated in the OpenAPI document too
(:mod:`bot.web.openapi`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictFloat,
    field_validator,
    model_validator,
)

from bot.directory.fields import COUNTRIES
from bot.intake.external_id import (
    EXTERNAL_ID_DESCRIPTION,
    MAX_EXTERNAL_ID,
    canonical_external_id,
)
from bot.intake.types import line, nonblank, paragraph, timestamp, whole
from bot.mailaddress import MAX_LOCAL_PART, within_limits
from bot.plaintext import quoted, trim

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,15}$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,11}$")
_PHONE = re.compile(r"^(?=.{5,40}$)\+?[0-9(][0-9 ()/\-]*[0-9]$")

# What the OpenAPI document states for the fields whose server rule is a pattern. Each
# pattern accepts only what the server accepts (the server may be a little more lenient,
# e.g. about surrounding spaces or letter case), so a schema-valid body is never refused.
DOMAIN_PATTERN = (
    r"^(?:[A-Za-z]+://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?:[/:][^\x00-\x1f\x7f-\x9f]*)?$"
)
TICKER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$"
# e-mail addresses: at most 64 characters before the @ (bot.mailaddress), and the
# validator refuses special-use domains (``.test``, ``.local``, ...).
EMAIL_PATTERN = (
    f"^(?=[^@]{{1,{MAX_LOCAL_PART}}}@)(?!.*[.@](?:"
    + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in n) for n in SPECIAL_USE_DOMAIN_NAMES)
    + r")\.?$)"
)

MAX_EUR = 999_999_999_999  # below 10**12: fits BIGINT everywhere, above any real deal
MAX_EMPLOYEES = 9_999_999
MAX_PRODUCTS = 50
MAX_LIST = 500

TIMELINE_DESCRIPTION = (
    "When the prospect means to buy: immediate, 3_months, 6_months, 12_months, later or "
    'unknown — or the CRM\'s own words ("Q1 2027", "2027-03", "in 6 months"), kept as '
    "given; teasers show the band it falls in, or unknown."
)
INDUSTRY_DESCRIPTION = (
    "The prospect's industry; any text is kept as given. Teasers show a known industry "
    '(or a known synonym such as "Food & Beverage") and "other" for the rest.'
)


Money = whole(MAX_EUR)


def in_utc(value: datetime) -> datetime:
    """``value`` as a UTC time, which is how it is stored and compared.

    Raises ``ValueError`` (a 422 naming the field or parameter) when it has no time zone,
    or when it is so close to year 1 or 9999 that it has no UTC time
    (``0001-01-01T00:00:00+01:00``): Python cannot convert that, and the database would
    fail on it with a 500.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone, e.g. 2026-03-01T10:00:00+01:00")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in UTC"
        ) from None


def normalise_domain(value: str) -> str:
    """``https://www.Example.de/x`` -> ``example.de`` (``www.de`` stays ``www.de``)."""
    value = value.strip().lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/")[0].split(":")[0].rstrip(".")
    rest = value.removeprefix("www.")
    return rest if "." in rest else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class AddressIn(Strict):
    street: line(300) | None = None
    postal_code: line(16, _POSTAL.pattern) | None = None
    city: line(200) | None = None
    country: str = Field(
        description="ISO 3166-1 alpha-2, e.g. DE, AT, CH (letter case does not matter)",
        json_schema_extra={"enum": sorted(COUNTRIES)},
    )
    lat: Annotated[StrictFloat, Field(ge=-90, le=90)] | None = Field(
        default=None, description="Together with lon, or neither."
    )
    lon: Annotated[StrictFloat, Field(ge=-180, le=180)] | None = Field(
        default=None, description="Together with lat, or neither."
    )

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in COUNTRIES:
            raise ValueError("must be a two-letter ISO country code such as DE, AT or CH")
        return code

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
    name: nonblank(300)
    industry: line(100) | None = Field(default=None, description=INDUSTRY_DESCRIPTION)
    employees: whole(MAX_EMPLOYEES) | None = None
    annual_revenue_eur: Money | None = None
    domain: line(253, DOMAIN_PATTERN) | None = None
    ticker: line(16, TICKER_PATTERN) | None = None
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
    model_config = ConfigDict(
        json_schema_extra={
            "description": "An e-mail address or a phone number (or both) is required.",
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
            ],
        }
    )

    name: line(200) | None = None
    email: Annotated[EmailStr, AfterValidator(within_limits)] | None = Field(
        default=None, json_schema_extra={"pattern": EMAIL_PATTERN}
    )
    phone: line(40, _PHONE.pattern) | None = None
    role: line(200) | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _blank_email(cls, value: object) -> object:
        """A blank optional field counts as absent, the e-mail too (a phone may reach them)."""
        return None if isinstance(value, str) and not trim(value) else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not _PHONE.match(value):
            raise ValueError("not a phone number")
        return value or None

    @model_validator(mode="after")
    def _reachable(self) -> ContactIn:
        if not self.email and not self.phone:
            raise ValueError("an email or a phone number is needed")
        return self


class InterestIn(Strict):
    products: list[nonblank(64)] = Field(min_length=1, max_length=MAX_PRODUCTS)
    estimated_value_eur: Money | None = None
    timeline: line(100) | None = Field(
        default=None,
        description=TIMELINE_DESCRIPTION,
        examples=["3_months", "Q1 2027"],
    )
    message: paragraph(5000) | None = None


class ConsentIn(Strict):
    partner_contact: StrictBool = Field(
        default=False, description="JSON true only when the person agreed; absent means no."
    )
    allowed_partners: list[nonblank(64)] = Field(default=[], max_length=MAX_LIST)
    allowed_tiers: list[Annotated[str, Field(max_length=64)]] = Field(
        default=[], max_length=MAX_LIST
    )
    given_at: timestamp() | None = None
    text: paragraph(2000) | None = None

    @field_validator("given_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else in_utc(value)


class LeadIn(Strict):
    """A lead as a CRM or marketing-automation tool sends it."""

    external_id: (
        Annotated[nonblank(MAX_EXTERNAL_ID), AfterValidator(canonical_external_id)] | None
    ) = Field(default=None, description=EXTERNAL_ID_DESCRIPTION)
    campaign: line(200) | None = None
    source: line(200) | None = None
    score: whole(100) | None = None
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
                (("interest", "products", i), f"unknown product {quoted(product)} (known: {known})")
            )
    for i, tier in enumerate(lead.consent.allowed_tiers):
        if tier not in tiers:
            problems.append(
                (
                    ("consent", "allowed_tiers", i),
                    f"unknown tier {quoted(tier)} (known: {', '.join(tiers)})",
                )
            )
    return problems
