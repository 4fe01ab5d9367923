"""The hard filters, one function each, with a sentence staff can read — and the same as data.

Each :class:`Check` carries its reason in English (``detail``) and as a ``key`` with
``params``, which :mod:`bot.explain.words` says in the reader's language.

These run per partner in plain Python and are what :func:`bot.matching.explain` shows.
The ranking runs the same rules vectorised over all partners (``index.py``); a property
test keeps the two in agreement. Details never contain the lead's exact postal code or
anything identifying — only state, two-digit postal area, size and product ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bot.matching.model import Check, LeadProfile, PartnerProfile
from bot.matching.rules import Rules, Segment, normalise_territory, territory_keys
from bot.matching.scoring import partner_distance

FILTERS = ("consent", "active", "region", "products", "segment", "capacity", "not_excluded")


def _listing(values: Collection[str], limit: int = 5) -> str:
    items = sorted(values)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def segment_basis(seg: Segment) -> dict[str, Any]:
    """The segment and what it rests on, as data for :class:`Check.params`."""
    return {
        "segment": seg.name,
        "basis": seg.basis_key,
        "value": seg.basis_value,
        "sme_minimum": seg.sme_minimum,
    }


def consent(lead: LeadProfile, partner: PartnerProfile) -> Check:
    if not lead.consent_partner_contact:
        return Check(
            "consent", False, "the lead did not consent to contact by partners", "consent_none"
        )
    named = {pid.casefold() for pid in lead.allowed_partners}  # ids are unique regardless of case
    if named and partner.id.casefold() not in named:
        partners = sorted(lead.allowed_partners)
        return Check(
            "consent",
            False,
            f"consent limited to partners {_listing(partners)}",
            "consent_partners",
            {"partners": partners},
        )
    allowed_tiers = {t.strip().lower() for t in lead.allowed_tiers}
    if allowed_tiers and partner.tier.strip().lower() not in allowed_tiers:
        return Check(
            "consent",
            False,
            f"consent limited to tiers {_listing(allowed_tiers)}; partner is {partner.tier}",
            "consent_tiers",
            {"tiers": sorted(allowed_tiers), "tier": partner.tier},
        )
    if lead.allowed_partners or allowed_tiers:
        return Check("consent", True, "consent names this partner or its tier", "consent_named")
    return Check("consent", True, "lead consented to contact by partners", "consent_any")


def active(partner: PartnerProfile) -> Check:
    if not partner.active:
        return Check("active", False, "partner is deactivated", "deactivated")
    until_day = partner.on_leave_until.isoformat() if partner.on_leave_until else None
    until = f" until {until_day}" if until_day else ""
    if partner.on_leave:
        return Check(
            "active", False, f"partner is on leave{until}", "on_leave", {"until": until_day}
        )
    if partner.paused:
        why = f" ({partner.pause_reason})" if partner.pause_reason else ""
        return Check(
            "active",
            False,
            f"partner is paused{until}{why}",
            "paused",
            {"until": until_day, "reason": partner.pause_reason, "cause": partner.pause_cause},
        )
    # Says what was checked: "active  active" only repeated the filter's name.
    return Check("active", True, "not deactivated, paused or on leave", "active")


def km_digits(value: float, other: float) -> int:
    """Whole kilometres, or one decimal where rounding would hide the difference."""
    return 1 if round(value) == round(other) and value != other else 0


def _km(value: float, other: float) -> str:
    return f"{value:.{km_digits(value, other)}f}"


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
            "region",
            ok,
            f"distance {_km(d, radius)} km {sign} radius {_km(radius, d)} km",
            "distance",
            {"distance": d, "radius": radius},
        )
    note = ""
    blind = partner.uses_radius  # the partner has a radius, but the lead has no position
    if blind:
        note = " (lead position unknown, radius not used)"
    if partner.regions:
        keys = territory_keys(lead)
        hits = [t for t in partner.regions if normalise_territory(t) in keys]
        if hits:
            return Check(
                "region",
                True,
                f"in territory {', '.join(hits)}{note}",
                "territory",
                {"territories": hits, "blind": blind},
            )
        return Check(
            "region",
            False,
            f"lead in {_where(lead)} is outside territories {_listing(partner.regions, 8)}{note}",
            "outside",
            {
                "region": lead.region or lead.country,
                "postal_area": lead.postal_area,
                "territories": sorted(partner.regions),
                "blind": blind,
            },
        )
    home = partner.country.strip().upper()
    lead_country = (lead.country or "").strip().upper()
    ok = bool(lead_country) and lead_country == home
    detail = f"partner serves its own country {home}; lead is in {lead_country or 'unknown'}"
    params = {"home": home, "country": lead_country or None, "blind": blind}
    return Check("region", ok, detail + note, "home_country", params)


def products(lead: LeadProfile, partner: PartnerProfile, rules: Rules) -> Check:
    requirements = rules.requirements(lead)
    if not requirements:
        return Check("products", True, "no product asked for", "no_products")
    stock = set(partner.products)
    ok = True
    parts = []
    items: list[dict[str, Any]] = []
    for req in requirements:
        notes: list[str] = []
        data: list[dict[str, Any]] = []
        if req.line is None:
            if rules.refuse_unknown_products:
                ok = False
                parts.append(f"{req.product}: not in the product catalogue")
                items.append({"product": req.product, "notes": [{"key": "unknown"}]})
                continue
            if rules.require_certification:
                notes.append("not in the product catalogue, certification not checked")
                data.append({"key": "unknown_unchecked"})
        elif rules.require_certification:
            level = rules.level_of(partner.certifications, req.line)
            line = req.line_name
            if level < 0:
                ok = False
                notes.append(f"not certified for {line}")
                data.append({"key": "not_certified", "line": line})
            else:
                name = rules.level_names[level]
                enough = level >= req.min_level
                ok = ok and enough
                sign = "≥" if enough else "< required"
                notes.append(f"{line} {name} {sign} {req.min_level_name}")
                data.append(
                    {
                        "key": "level_ok" if enough else "level_low",
                        "line": line,
                        "level": name,
                        "required": req.min_level_name,
                    }
                )
        if rules.require_stock:
            if req.product in stock:
                notes.append("in stock")
                data.append({"key": "in_stock"})
            else:
                ok = False
                notes.append("not stocked")
                data.append({"key": "not_stocked"})
        parts.append(f"{req.product}: {', '.join(notes) or 'no requirement configured'}")
        items.append({"product": req.product, "notes": data or [{"key": "no_requirement"}]})
    return Check("products", ok, "; ".join(parts), "product_list", {"items": items})


def segment(lead: LeadProfile, partner: PartnerProfile, rules: Rules) -> Check:
    seg = rules.segment(lead)
    served = {s.strip().lower() for s in partner.segments if s.strip()}
    basis = segment_basis(seg)
    if not served:
        return Check("segment", True, "partner serves all segments", "all_segments")
    if not seg.restricts:
        return Check(
            "segment",
            True,
            f"unknown ({seg.basis}): not checked",
            "segment_unknown",
            basis,
        )
    if seg.name in served:
        return Check("segment", True, f"lead's segment: {seg.name} ({seg.basis})", "segment", basis)
    return Check(
        "segment",
        False,
        f"lead's segment: {seg.name or 'none'} ({seg.basis}); partner serves {_listing(served)}",
        "segment_other",
        {**basis, "served": sorted(served)},
    )


def capacity(partner: PartnerProfile) -> Check:
    ok = partner.open_leads < partner.max_open_leads
    detail = f"{partner.open_leads} of {partner.max_open_leads} open leads"
    counts = {"open": partner.open_leads, "max": partner.max_open_leads}
    if ok:
        return Check("capacity", True, detail, "capacity", counts)
    return Check("capacity", False, f"{detail}: at capacity", "at_capacity", counts)


EXCLUSION_REASONS = {
    "returned": "returned this lead before",
    "declined": "declined this lead before",
    "recalled": "was recalled from this lead before",
}


def not_excluded(partner: PartnerProfile, excluded: Collection[str]) -> Check:
    """``excluded`` may map partner id -> reason (returned, declined, recalled)."""
    if partner.id not in excluded:
        return Check(
            "not_excluded", True, "not returned, declined or recalled before", "not_excluded"
        )
    reason = str(excluded[partner.id]) if isinstance(excluded, Mapping) else ""
    detail = EXCLUSION_REASONS.get(reason) or (
        f"excluded from this lead ({reason})"
        if reason
        else "returned, declined or was recalled from this lead before"
    )
    return Check("not_excluded", False, detail, "excluded", {"reason": reason or None})


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
