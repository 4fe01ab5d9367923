"""The data the matching engine works on: plain frozen values, no database objects.

Loading profiles from the database is the service layer's job (``bot/distribution.py``);
matching itself is pure, so it can be tested exhaustively and benchmarked alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LeadProfile:
    lead_id: int
    country: str | None
    region: str | None  # ISO 3166-2 state, e.g. "DE-BY", when known
    postal_code: str | None
    lat: float | None
    lon: float | None
    products: tuple[str, ...]
    employees: int | None
    industry: str | None
    consent_partner_contact: bool
    allowed_partners: frozenset[str] = frozenset()
    allowed_tiers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PartnerProfile:
    id: str
    name: str
    tier: str
    certifications: Mapping[str, str]
    country: str
    postal_code: str | None
    lat: float | None
    lon: float | None
    service_radius_km: float | None
    regions: tuple[str, ...]
    segments: tuple[str, ...]
    products: tuple[str, ...]
    max_open_leads: int
    open_leads: int = 0
    active: bool = True
    on_leave: bool = False
    paused: bool = False
    won: int = 0  # historic outcomes, for the conversion score
    closed: int = 0


@dataclass(frozen=True, slots=True)
class Check:
    """One hard filter's verdict, with a human-readable reason."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    partner_id: str
    eligible: bool
    checks: tuple[Check, ...]
    score: float = 0.0
    components: Mapping[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)
