"""The hard filters, one function each, with a sentence staff can read.

These run per partner in plain Python and are what :func:`bot.matching.explain` shows.
The ranking runs the same rules vectorised over all partners (``index.py``); a property
test keeps the two in agreement. Details never contain the lead's exact postal code or
anything identifying — only state, two-digit postal area, size and product ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.matching.model import Check, LeadProfile, PartnerProfile
from bot.matching.rules import Rules, normalise_territory, territory_keys
from bot.matching.scoring import partner_distance

FILTERS = ("consent", "active", "region", "products", "segment", "capacity", "not_excluded")


def _listing(values: Collection[str], limit: int = 5) -> str:
    items = sorted(values)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def consent(lead: LeadProfile, partner: PartnerProfile) -> Check:
    if not lead.consent_partner_contact:
        return Check("consent", False, "the lead did not consent to contact by partners")
    if lead.allowed_partners and partner.id not in lead.allowed_partners:
        return Check(
            "consent", False, f"consent limited to partners {_listing(lead.allowed_partners)}"
        )
    allowed_tiers = {t.strip().lower() for t in lead.allowed_tiers}
    if allowed_tiers and partner.tier.strip().lower() not in allowed_tiers:
        return Check(
            "consent",
            False,
            f"consent limited to tiers {_listing(allowed_tiers)}; partner is {partner.tier}",
        )
    if lead.allowed_partners or allowed_tiers:
        return Check("consent", True, "consent names this partner or its tier")
    return Check("consent", True, "lead consented to contact by partners")


def active(partner: PartnerProfile) -> Check:
    if not partner.active:
        return Check("active", False, "partner is deactivated")
    if partner.on_leave:
        until = f" until {partner.on_leave_until.isoformat()}" if partner.on_leave_until else ""
        return Check("active", False, f"partner is on leave{until}")
    if partner.paused:
        until = f" until {partner.on_leave_until.isoformat()}" if partner.on_leave_until else ""
        why = f" ({partner.pause_reason})" if partner.pause_reason else ""
        return Check("active", False, f"partner is paused{until}{why}")
    return Check("active", True, "active")


def _km(value: float, other: float) -> str:
    """Whole kilometres, or one decimal where rounding would hide the difference."""
    return f"{value:.1f}" if round(value) == round(other) and value != other else f"{value:.0f}"


def _where(lead: LeadProfile) -> str:
    parts = [lead.region or lead.country or "unknown country"]
    if lead.postal_area:
        parts.append(f"postal area {lead.postal_area}")
    return ", ".join(parts)


def region(lead: LeadProfile, partner: PartnerProfile) -> Check:
    """Radius when both positions are known, else territories, else the home country."""
    d = partner_distance(lead, partner)
    if d is not None and partner.service_radius_km is not None:
        radius = float(partner.service_radius_km)
        ok = d <= radius
        sign = "≤" if ok else ">"
        return Check(
            "region", ok, f"distance {_km(d, radius)} km {sign} radius {_km(radius, d)} km"
        )
    note = ""
    if partner.uses_radius:
        note = " (lead position unknown, radius not used)"
    if partner.regions:
        keys = territory_keys(lead)
        hits = [t for t in partner.regions if normalise_territory(t) in keys]
        if hits:
            return Check("region", True, f"in territory {', '.join(hits)}{note}")
        return Check(
            "region",
            False,
            f"lead in {_where(lead)} is outside territories {_listing(partner.regions, 8)}{note}",
        )
    home = partner.country.strip().upper()
    lead_country = (lead.country or "").strip().upper()
    ok = bool(lead_country) and lead_country == home
    detail = f"partner serves its own country {home}; lead is in {lead_country or 'unknown'}"
    return Check("region", ok, detail + note)


def products(lead: LeadProfile, partner: PartnerProfile, rules: Rules) -> Check:
    requirements = rules.requirements(lead)
    if not requirements:
        return Check("products", True, "no product asked for")
    stock = set(partner.products)
    ok = True
    parts = []
    for req in requirements:
        notes = []
        if req.line is None:
            if rules.refuse_unknown_products:
                ok = False
                parts.append(f"{req.product}: not in the product catalogue")
                continue
            if rules.require_certification:
                notes.append("not in the product catalogue, certification not checked")
        elif rules.require_certification:
            level = rules.level_of(partner.certifications, req.line)
            if level < 0:
                ok = False
                notes.append(f"not certified for {req.line_name}")
            elif level < req.min_level:
                ok = False
                notes.append(
                    f"{req.line_name} {rules.level_names[level]} < required {req.min_level_name}"
                )
            else:
                notes.append(f"{req.line_name} {rules.level_names[level]} ≥ {req.min_level_name}")
        if rules.require_stock:
            if req.product in stock:
                notes.append("in stock")
            else:
                ok = False
                notes.append("not stocked")
        parts.append(f"{req.product}: {', '.join(notes) or 'no requirement configured'}")
    return Check("products", ok, "; ".join(parts))


def segment(lead: LeadProfile, partner: PartnerProfile, rules: Rules) -> Check:
    seg = rules.segment(lead)
    served = {s.strip().lower() for s in partner.segments if s.strip()}
    if not served:
        return Check("segment", True, "partner serves all segments")
    if not seg.restricts:
        return Check("segment", True, f"lead segment unknown ({seg.basis}): not checked")
    if seg.name in served:
        return Check("segment", True, f"lead segment {seg.name} ({seg.basis})")
    return Check(
        "segment",
        False,
        f"lead segment {seg.name or 'none'} ({seg.basis}); partner serves {_listing(served)}",
    )


def capacity(partner: PartnerProfile) -> Check:
    ok = partner.open_leads < partner.max_open_leads
    detail = f"{partner.open_leads} of {partner.max_open_leads} open leads"
    return Check("capacity", ok, detail if ok else f"{detail}: at capacity")


EXCLUSION_REASONS = {
    "returned": "returned this lead before",
    "declined": "declined this lead before",
    "recalled": "was recalled from this lead before",
}


def not_excluded(partner: PartnerProfile, excluded: Collection[str]) -> Check:
    """``excluded`` may map partner id -> reason (returned, declined, recalled)."""
    if partner.id not in excluded:
        return Check("not_excluded", True, "not excluded")
    reason = str(excluded[partner.id]) if isinstance(excluded, Mapping) else ""
    detail = EXCLUSION_REASONS.get(reason) or (
        f"excluded from this lead ({reason})"
        if reason
        else "returned, declined or was recalled from this lead before"
    )
    return Check("not_excluded", False, detail)


def checks(
    lead: LeadProfile, partner: PartnerProfile, excluded: Collection[str], rules: Rules
) -> tuple[Check, ...]:
    """Every filter's verdict for one partner, in the order of :data:`FILTERS`."""
    return (
        consent(lead, partner),
        active(partner),
        region(lead, partner),
        products(lead, partner, rules),
        segment(lead, partner, rules),
        capacity(partner),
        not_excluded(partner, excluded),
    )
