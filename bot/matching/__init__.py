"""Which partners may and can serve a lead, and in which order. Pure functions.

Entry point: :func:`rank`. It returns one :class:`Decision` per partner — eligible ones
first, best score first — with every hard filter's verdict, so staff can be told why a
partner did or did not get a lead.

This first version implements the filters the lifecycle needs (consent, status, region by
country/territory, capacity, exclusion); the full engine (distance, products,
certifications, segments, weighted score) replaces it behind the same interface.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from bot.matching.model import Check, Decision, LeadProfile, PartnerProfile

__all__ = ["Check", "Decision", "LeadProfile", "PartnerProfile", "rank"]


def _region_ok(lead: LeadProfile, partner: PartnerProfile) -> Check:
    if not partner.regions:
        ok = lead.country == partner.country
        return Check("region", ok, f"country {lead.country} vs partner country {partner.country}")
    for territory in partner.regions:
        if ":" in territory:
            country, prefix = territory.split(":", 1)
            if lead.country == country and (lead.postal_code or "").startswith(prefix):
                return Check("region", True, f"postal area {territory}")
        elif "-" in territory:
            if lead.region == territory:
                return Check("region", True, f"state {territory}")
        elif lead.country == territory:
            return Check("region", True, f"country {territory}")
    return Check("region", False, f"outside territories {', '.join(partner.regions)}")


def _checks(
    lead: LeadProfile, partner: PartnerProfile, excluded: frozenset[str]
) -> tuple[Check, ...]:
    consent_ok = lead.consent_partner_contact and (
        (not lead.allowed_partners or partner.id in lead.allowed_partners)
        and (not lead.allowed_tiers or partner.tier in lead.allowed_tiers)
    )
    return (
        Check(
            "consent",
            consent_ok,
            "consent allows this partner" if consent_ok else "no consent for this partner",
        ),
        Check(
            "active",
            partner.active and not partner.on_leave and not partner.paused,
            "active"
            if partner.active and not partner.on_leave and not partner.paused
            else "inactive, on leave or paused",
        ),
        _region_ok(lead, partner),
        Check(
            "capacity",
            partner.open_leads < partner.max_open_leads,
            f"{partner.open_leads} of {partner.max_open_leads} open leads",
        ),
        Check(
            "not_excluded",
            partner.id not in excluded,
            "excluded: returned, declined or recalled before"
            if partner.id in excluded
            else "not excluded",
        ),
    )


def rank(
    lead: LeadProfile,
    partners: Sequence[PartnerProfile],
    excluded: frozenset[str],
    settings: Settings,
) -> list[Decision]:
    decisions = []
    for partner in partners:
        checks = _checks(lead, partner, excluded)
        eligible = all(c.passed for c in checks)
        load = partner.open_leads / max(partner.max_open_leads, 1)
        score = (1.0 - load) if eligible else 0.0
        decisions.append(Decision(partner.id, eligible, checks, score, {"load": 1.0 - load}))
    decisions.sort(key=lambda d: (not d.eligible, -d.score, d.partner_id))
    return decisions


def plan_waves(eligible_ids: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    """Split ranked partner ids into waves: wave k adds the next ``sizes[k]`` (0 = all rest)."""
    waves: list[list[str]] = []
    start = 0
    for size in sizes:
        end = len(eligible_ids) if size == 0 else min(len(eligible_ids), start + size)
        waves.append(list(eligible_ids[start:end]))
        start = end
    return waves
