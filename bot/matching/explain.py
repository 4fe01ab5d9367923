"""Why a partner was or was not offered a lead: every filter with its reason, the score.

This module computes; it does not render. ``leadbot explain`` (``bot/cli/explain.py``)
prints the structure, a staff chat command can show it its own way, and ``to_dict()``
gives plain JSON-ready data. Nothing here identifies the prospect: the lead is described by
country, state, two-digit postal area, size and products only.

The explanation always reflects the directory as given (for a stored lead: *now*), not
the moment of an earlier offer — capacity, pauses and exclusions may have changed since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.config import Settings
from bot.matching import filters
from bot.matching.index import PartnerIndex, index_for
from bot.matching.model import NO_RECENT, Check, LeadProfile, PartnerProfile, Recent
from bot.matching.ranking import Ranking
from bot.matching.rules import COMPONENTS, Rules, rules_for
from bot.matching.scoring import components, total


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """The facts about a lead that matching depends on — coarse, nothing identifying."""

    lead_id: int
    country: str | None
    region: str | None
    postal_area: str | None
    position_known: bool
    products: tuple[str, ...]
    segment: str | None
    segment_basis: str
    consent: str
    excluded: tuple[str, ...]
    # The same as data, for other languages (bot.explain.words): the segment's basis
    # (filters.segment_basis) and the consent ("none" / "any" / "limited" with lists).
    segment_data: dict[str, Any] = field(default_factory=dict)
    consent_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PartnerExplanation:
    partner_id: str
    name: str
    tier: str
    eligible: bool
    rank: int | None  # 1-based among the eligible; None when not eligible
    score: float  # what the partner scores (or would score, when not eligible)
    components: dict[str, float]  # each in [0, 1], before weighting
    weights: dict[str, float]
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)


@dataclass(frozen=True, slots=True)
class LeadExplanation:
    lead: LeadFacts
    checked: int  # partners in the directory
    eligible_count: int  # eligible partners in the whole directory (also with ``only``)
    eligible: tuple[PartnerExplanation, ...]  # best first
    ineligible: tuple[PartnerExplanation, ...]  # by partner id

    def partner(self, partner_id: str) -> PartnerExplanation | None:
        for item in (*self.eligible, *self.ineligible):
            if item.partner_id == partner_id:
                return item
        return None

    def failure_counts(self) -> dict[str, int]:
        """How many ineligible partners each filter turned away (a partner may count twice)."""
        counts = Counter(c.name for p in self.ineligible for c in p.failed)
        return {name: counts[name] for name in filters.FILTERS if counts[name]}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _consent_data(lead: LeadProfile) -> dict[str, Any]:
    if not lead.consent_partner_contact:
        return {"key": "none"}
    if not (lead.allowed_partners or lead.allowed_tiers):
        return {"key": "any"}
    return {
        "key": "limited",
        "partners": sorted(lead.allowed_partners),
        "tiers": sorted(lead.allowed_tiers),
    }


def _consent_summary(lead: LeadProfile) -> str:
    if not lead.consent_partner_contact:
        return "no consent to contact by partners"
    limits = []
    if lead.allowed_partners:
        limits.append("partners " + ", ".join(sorted(lead.allowed_partners)))
    if lead.allowed_tiers:
        limits.append("tiers " + ", ".join(sorted(lead.allowed_tiers)))
    return "only " + "; ".join(limits) if limits else "any partner"


def lead_facts(lead: LeadProfile, excluded: Collection[str], rules: Rules) -> LeadFacts:
    segment = rules.segment(lead)
    return LeadFacts(
        lead_id=lead.lead_id,
        country=lead.country,
        region=lead.region,
        postal_area=lead.postal_area,
        position_known=lead.has_position,
        products=tuple(dict.fromkeys(lead.products)),
        segment=segment.name,
        segment_basis=segment.basis,
        consent=_consent_summary(lead),
        excluded=tuple(sorted(excluded)),
        segment_data=filters.segment_basis(segment),
        consent_data=_consent_data(lead),
    )


def _explain(
    lead: LeadProfile,
    partner: PartnerProfile,
    excluded: Collection[str],
    rules: Rules,
    rank: int | None,
    recent: Mapping[str, Recent],
    parts: dict[str, float] | None = None,
) -> PartnerExplanation:
    """``parts``: the components the ranking computed for this partner, if it ranked it."""
    checks = filters.checks(lead, partner, excluded, rules)
    if parts is None:
        parts = components(lead, partner, rules, recent.get(partner.id, NO_RECENT))
    return PartnerExplanation(
        partner_id=partner.id,
        name=partner.name,
        tier=partner.tier,
        eligible=all(c.passed for c in checks),
        rank=rank,
        score=total(parts, rules.weights),
        components=parts,
        weights={name: rules.weights[name] for name in COMPONENTS},
        checks=checks,
    )


def explain(
    lead: LeadProfile,
    partner: PartnerProfile,
    excluded: Collection[str],
    settings: Settings,
    *,
    ranking: Ranking | None = None,
    recent: Mapping[str, Recent] | None = None,
) -> PartnerExplanation:
    """Every filter and score component for one partner; its rank if ``ranking`` is given."""
    rank = ranking.rank_of(partner.id) if ranking is not None else None
    return _explain(lead, partner, excluded, rules_for(settings), rank, recent or {})


def explain_lead(
    lead: LeadProfile,
    partners: Sequence[PartnerProfile] | PartnerIndex,
    excluded: Collection[str],
    settings: Settings,
    *,
    only: Collection[str] | None = None,
    recent: Mapping[str, Recent] | None = None,
) -> LeadExplanation:
    """The whole picture for one lead: eligible partners ranked, then everyone else.

    ``only`` restricts the per-partner detail to some partner ids (the ranking, and so the
    ranks, still cover the whole directory).
    """
    rules = rules_for(settings)
    index = index_for(partners, rules)
    recent = recent or {}
    ranking = index.rank(lead, excluded, recent)
    chosen = [p for p in index.partners if only is None or p.id in only]
    items = []
    for p in chosen:
        rank = ranking.rank_of(p.id)
        # An eligible partner's components are the ranking's own (one numpy pass over
        # the directory): computing them again one partner at a time cost about 0.2 ms
        # each, most of an explanation of a lead offered to hundreds of partners.
        parts = None if rank is None else ranking.decision(rank - 1).components
        items.append(_explain(lead, p, excluded, rules, rank, recent, parts))
    eligible = sorted(
        (i for i in items if i.eligible),
        key=lambda i: (i.rank is None, i.rank or 0, i.partner_id),
    )
    ineligible = sorted((i for i in items if not i.eligible), key=lambda i: i.partner_id)
    return LeadExplanation(
        lead=lead_facts(lead, excluded, rules),
        checked=ranking.checked,
        eligible_count=len(ranking),
        eligible=tuple(eligible),
        ineligible=tuple(ineligible),
    )
