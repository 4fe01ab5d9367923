"""Plain-text rendering of a lead explanation, for the terminal (CLI and console).

The data comes from :func:`bot.explain.service.explain_stored_lead`; chat platforms
render the same data their own way.
"""

from __future__ import annotations

from bot.explain.service import OfferFacts, StoredLeadExplanation
from bot.matching import COMPONENTS, PartnerExplanation

SHORT = {
    "distance": "dist",
    "tier": "tier",
    "certification": "cert",
    "conversion": "conv",
    "load": "load",
    "fairness": "fair",
}


def _offers(items: tuple[OfferFacts, ...]) -> str:
    return ", ".join(f"r{o.round} w{o.wave} #{o.rank} {o.status.value}" for o in items)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_summary(data: StoredLeadExplanation, limit: int) -> list[str]:
    ex = data.explanation
    facts = ex.lead
    where = ", ".join(
        part
        for part in (
            facts.region or facts.country or "country unknown",
            f"postal area {facts.postal_area}" if facts.postal_area else "",
            "position known" if facts.position_known else "position unknown",
        )
        if part
    )
    state = f"status {data.status.value}"
    if data.offer_round:
        state += f", round {data.offer_round} wave {data.current_wave}"
    if data.owner_partner_id:
        state += f", owner {data.owner_partner_id}"
    segment = facts.segment or "none"
    lines = [
        f"Lead {facts.lead_id}: {state}",
        f"  where:     {where}",
        f"  products:  {', '.join(facts.products) or '-'}",
        f"  segment:   {segment} ({facts.segment_basis})",
        f"  consent:   {facts.consent}",
    ]
    if data.exclusions:
        excluded = ", ".join(f"{pid} ({why})" for pid, why in sorted(data.exclusions.items()))
        lines.append(f"  excluded:  {excluded}")
    lines.append(
        f"  as of now: {ex.checked} partners checked, {len(ex.eligible)} eligible, "
        f"{len(ex.ineligible)} not eligible"
    )
    weights = ex.eligible[0].weights if ex.eligible else None
    if weights is None and ex.ineligible:
        weights = ex.ineligible[0].weights
    if weights:
        lines.append(
            "  weights:   " + ", ".join(f"{name} {weights[name]:g}" for name in COMPONENTS)
        )
    lines += ["", f"Eligible, best first ({len(ex.eligible)})"]
    if ex.eligible:
        header = f"  {'#':>4}  {'partner':<28} {'score':>6}  " + "  ".join(
            f"{SHORT[n]:>5}" for n in COMPONENTS
        )
        lines.append(header + "  offers")
        for item in _limited(ex.eligible, limit):
            name = _cut(f"{item.partner_id} {item.name}", 28)
            parts = "  ".join(f"{item.components[n]:5.2f}" for n in COMPONENTS)
            offers = _offers(data.offers.get(item.partner_id, ()))
            rank = str(item.rank) if item.rank is not None else "?"
            lines.append(f"  {rank:>4}  {name:<28} {item.score:6.2f}  {parts}  {offers}".rstrip())
        lines += _more(len(ex.eligible), limit)
    else:
        lines.append("  none")
    lines += ["", f"Not eligible ({len(ex.ineligible)})"]
    if not ex.ineligible:
        lines.append("  none")
    for item in _limited(ex.ineligible, limit):
        failed = "; ".join(f"{c.name}: {c.detail}" for c in item.failed)
        lines.append(f"  {_cut(item.partner_id + ' ' + item.name, 28):<28}  {failed}")
        offers = _offers(data.offers.get(item.partner_id, ()))
        if offers:
            lines.append(f"  {'':<28}  earlier offers: {offers}")
    lines += _more(len(ex.ineligible), limit)
    counts = ex.failure_counts()
    if counts:
        lines += ["", "Turned away by: " + ", ".join(f"{k} {v}" for k, v in counts.items())]
    return lines


def _limited(items: tuple[PartnerExplanation, ...], limit: int) -> tuple[PartnerExplanation, ...]:
    return items if limit <= 0 else items[:limit]


def _more(total: int, limit: int) -> list[str]:
    if 0 < limit < total:
        return [f"  … and {total - limit} more (--limit 0 shows all)"]
    return []


def render_partner(data: StoredLeadExplanation, item: PartnerExplanation) -> list[str]:
    lead_id = data.explanation.lead.lead_id
    verdict = f"ELIGIBLE, rank {item.rank}" if item.eligible else "NOT ELIGIBLE"
    lines = [
        f"Partner {item.partner_id} ({item.name}, {item.tier}) for lead {lead_id}: {verdict}",
        f"  lead status {data.status.value}; {data.explanation.checked} partners checked, "
        f"{data.explanation.eligible_count} eligible",
        "",
        "Filters",
    ]
    for check in item.checks:
        mark = "✓" if check.passed else "✗"
        lines.append(f"  {mark} {check.name:<13} {check.detail}")
    label = "Score" if item.eligible else "Score it would have"
    lines += ["", f"{label}: {item.score:.2f}"]
    for name in COMPONENTS:
        value, weight = item.components[name], item.weights[name]
        lines.append(f"  {name:<13} {value:5.2f} × {weight:g} = {value * weight:5.2f}")
    offers = data.offers.get(item.partner_id, ())
    lines += ["", "Offers of this lead to the partner: " + (_offers(offers) or "none")]
    if item.partner_id in data.exclusions:
        lines.append(f"Excluded from this lead: {data.exclusions[item.partner_id]}")
    return lines
