"""The data the matching engine works on: plain frozen values, no database objects.

Loading profiles from the database is the service layer's job
(``bot/leads/distribution.py``); matching itself is pure, so it can be tested
exhaustively and benchmarked alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


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
    # The two-digit postal area; used for postal-prefix territories when the exact code is
    # gone (erased personal data).
    postal_area: str | None = None

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True, slots=True)
class PartnerProfile:
    id: str
    name: str
    tier: str
    certifications: Mapping[str, str]  # product line -> level
    country: str
    postal_code: str | None
    lat: float | None
    lon: float | None
    service_radius_km: float | None
    regions: tuple[str, ...]  # territories: "DE", "DE-BY", "DE:80"
    segments: tuple[str, ...]  # "enterprise", "sme", "public"; empty = all
    products: tuple[str, ...]  # product ids in stock
    max_open_leads: int
    open_leads: int = 0
    active: bool = True
    on_leave: bool = False
    paused: bool = False
    won: int = 0  # historic outcomes, for the conversion score
    closed: int = 0
    on_leave_until: date | None = None  # for the explanation only
    pause_reason: str | None = None  # for the explanation only: typed, or the cause's English
    pause_cause: Mapping[str, Any] | None = None  # a pause nobody explained, as data

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def uses_radius(self) -> bool:
        """A service radius applies only when the partner's own position is known."""
        return self.has_position and self.service_radius_km is not None


@dataclass(frozen=True, slots=True)
class Recent:
    """What a partner got lately (``[matching] fairness_days``), for the fairness score."""

    offers: int = 0  # teasers it was sent
    wins: int = 0  # leads it claimed
    last_offer: float | None = None  # POSIX time of its latest offer (None: none lately)


NO_RECENT = Recent()


@dataclass(frozen=True, slots=True)
class Check:
    """One hard filter's verdict, with a human-readable reason.

    ``detail`` is the reason in English (``leadbot explain --json``, the log); ``key`` and
    ``params`` are the same reason as data, so a reader's language can say it
    (``explain.check.<key>`` in the i18n catalogs; see :mod:`bot.explain.words`).
    """

    name: str
    passed: bool
    detail: str
    key: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """One partner's place in a ranking.

    Decisions that come out of :func:`bot.matching.rank` are the eligible partners only and
    carry no ``checks`` (computing every filter's text for every partner is what makes
    ranking slow); :func:`bot.matching.explain` gives the checks for any partner.
    """

    partner_id: str
    eligible: bool
    checks: tuple[Check, ...] = ()
    score: float = 0.0
    components: Mapping[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)
