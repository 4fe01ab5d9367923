"""The matching settings, compiled once into lookups both engines share.

The fast ranking (``index.py``) and the explanation (``filters.py``/``scoring.py``) must
reach the same verdict for every partner. Everything they both derive from the settings or
the lead — tier order, certification levels, which product lines a lead needs, its
segment, the territories it lies in — is computed here, once, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Settings
from bot.geo import normalise_postal_code
from bot.matching.model import LeadProfile

COMPONENTS = ("distance", "tier", "certification", "conversion", "load", "fairness")
SEGMENTS = ("enterprise", "sme", "public")
NEUTRAL = 0.5  # a score component that cannot be computed (e.g. distance unknown)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What serving one product asked for by a lead takes."""

    product: str
    line: str | None  # lower-case key; None: the product is not in [[products]]
    line_name: str  # as configured, for explanations
    min_level: int  # index into certification_levels
    min_level_name: str


@dataclass(frozen=True, slots=True)
class Segment:
    """The lead's segment, or why it has none."""

    name: str | None  # "enterprise", "sme", "public"; None: see ``restricts``
    basis: str  # human-readable: "120 employees", "industry government"
    restricts: bool  # False: size unknown, segments are not checked
    basis_key: str = ""  # the basis as data: "industry", "employees", "unknown", "small"
    basis_value: int | str | None = None  # the industry, or the number of employees
    sme_minimum: int | None = None  # for "small": the SME minimum it is below


@dataclass(frozen=True, slots=True)
class Rules:
    tiers: tuple[str, ...]  # lower-case, best first
    tier_rank: dict[str, int]
    levels: tuple[str, ...]  # lower-case, lowest first
    level_names: tuple[str, ...]  # as configured
    level_rank: dict[str, int]
    catalogue: dict[str, Requirement]  # product id -> what it takes
    require_certification: bool
    require_stock: bool
    refuse_unknown_products: bool
    enterprise_min_employees: int
    sme_min_employees: int
    public_industries: frozenset[str]
    max_distance_km: float
    prior_won: float
    prior_closed: float
    weights: dict[str, float]  # in COMPONENTS order

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        m = settings.matching
        tiers = tuple(t.strip().lower() for t in m.tiers)
        levels = tuple(level.strip().lower() for level in m.certification_levels)
        level_rank = {name: i for i, name in enumerate(levels)}
        catalogue = {
            p.id: Requirement(
                p.id,
                p.line.strip().lower(),
                p.line,
                level_rank[p.min_certification.strip().lower()],
                p.min_certification,
            )
            for p in settings.products
        }
        return cls(
            tiers=tiers,
            tier_rank={name: i for i, name in enumerate(tiers)},
            levels=levels,
            level_names=tuple(m.certification_levels),
            level_rank=level_rank,
            catalogue=catalogue,
            require_certification=m.require_certification,
            require_stock=m.require_stock,
            refuse_unknown_products=m.unknown_products == "refuse",
            enterprise_min_employees=m.enterprise_min_employees,
            sme_min_employees=m.sme_min_employees,
            public_industries=frozenset(i.strip().lower() for i in m.public_industries),
            max_distance_km=m.max_distance_km,
            prior_won=m.conversion_prior_won,
            prior_closed=m.conversion_prior_closed,
            weights={
                **{name: float(getattr(m.weights, name)) for name in COMPONENTS[:-1]},
                "fairness": float(m.fairness),
            },
        )

    def requirements(self, lead: LeadProfile) -> tuple[Requirement, ...]:
        return tuple(
            self.catalogue.get(product) or Requirement(product, None, product, 0, "")
            for product in dict.fromkeys(lead.products)
        )

    def lead_lines(self, lead: LeadProfile) -> tuple[str, ...]:
        """The certification lines of the known products a lead asks for, each once."""
        return tuple(dict.fromkeys(r.line for r in self.requirements(lead) if r.line))

    def segment(self, lead: LeadProfile) -> Segment:
        industry = (lead.industry or "").strip().lower()
        if industry and industry in self.public_industries:
            return Segment("public", f"industry {industry}", True, "industry", industry)
        if lead.employees is None:
            return Segment(None, "employees unknown", False, "unknown")
        count = lead.employees
        basis = f"{count} employees"
        if count >= self.enterprise_min_employees:
            return Segment("enterprise", basis, True, "employees", count)
        if count >= self.sme_min_employees:
            return Segment("sme", basis, True, "employees", count)
        small = f"{basis}, below the SME minimum {self.sme_min_employees}"
        return Segment(None, small, True, "small", count, self.sme_min_employees)

    def tier_component(self, tier: str) -> float:
        """1 for the best tier down to 0 for the last; 0 for a tier not in the list."""
        rank = self.tier_rank.get(tier.strip().lower())
        if rank is None:
            return 0.0
        return 1.0 if len(self.tiers) == 1 else 1.0 - rank / (len(self.tiers) - 1)

    def level_of(self, certifications: Mapping[str, str], line: str) -> int:
        """The partner's level index for ``line`` (-1: not certified or unknown level).

        Lines compare case-insensitively; if a partner lists a line twice, the higher
        level counts.
        """
        best = -1
        for cert_line, level in certifications.items():
            if cert_line.strip().lower() == line:
                best = max(best, self.level_rank.get(str(level).strip().lower(), -1))
        return best


def territory_keys(lead: LeadProfile) -> frozenset[str]:
    """Every territory string a lead lies in: ``DE``, ``DE-BY``, ``DE:8``, ``DE:80``, …"""
    country = (lead.country or "").strip().upper()
    if not country:
        return frozenset()
    keys = {country}
    if lead.region:
        keys.add(lead.region.strip().upper())
    code = normalise_postal_code(country, lead.postal_code) or lead.postal_area or ""
    for end in range(1, len(code) + 1):
        keys.add(f"{country}:{code[:end]}")
    return frozenset(keys)


def normalise_territory(territory: str) -> str:
    return territory.strip().upper().replace(" ", "")


_cache: dict[int, tuple[Settings, Rules]] = {}


def rules_for(settings: Settings) -> Rules:
    """Compiled rules for ``settings``, cached per settings object (they are immutable)."""
    hit = _cache.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1]
    if len(_cache) > 32:
        _cache.clear()
    rules = Rules.from_settings(settings)
    _cache[id(settings)] = (settings, rules)
    return rules
