"""Plain-text rendering of a lead explanation, for the terminal (CLI and console) and the
staff chats (as a monospace block), in the reader's language.

The data comes from :func:`bot.explain.service.explain_stored_lead`; the words and numbers
from :mod:`bot.explain.words`. Columns stay aligned in every language: labels are padded to
the widest label of that language, numbers have a fixed number of decimals (Babel's
``0,75`` is as wide as ``0.75``).
"""

from __future__ import annotations

from bot.explain.service import OfferFacts, PartnerReach, StoredLeadExplanation
from bot.explain.words import check_text, decimal, filter_name, number, segment_basis
from bot.i18n import has, t
from bot.matching import COMPONENTS, FILTERS, LeadFacts, PartnerExplanation
from bot.reports.format import day

NAME_WIDTH = 28  # the partner column of the table
SCORE_WIDTH = 6
PART_WIDTH = 5


def _word(language: str, key: str, fallback: str) -> str:
    return t(language, key) if has(language, key) else fallback


def _status(value: str, language: str) -> str:
    return _word(language, f"status.{value}", value)


def _reason(value: str, language: str) -> str:
    return _word(language, f"explain.reason.{value}", value)


def _offers(items: tuple[OfferFacts, ...], language: str) -> str:
    return ", ".join(
        t(
            language,
            "explain.offer",
            round=o.round,
            wave=o.wave,
            rank=o.rank,
            status=_word(language, f"explain.offer_status.{o.status.value}", o.status.value),
        )
        for o in items
    )


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fit(text: str, width: int) -> str:
    """A column heading, cut to its column's width."""
    return text[:width]


def _consent(facts: LeadFacts, language: str) -> str:
    data = facts.consent_data
    kind = data.get("key")
    if kind == "none":
        return t(language, "explain.consent.none")
    if kind != "limited":
        return t(language, "explain.consent.any") if kind == "any" else facts.consent
    limits = []
    if data.get("partners"):
        limits.append(t(language, "explain.consent.partners", list=", ".join(data["partners"])))
    if data.get("tiers"):
        limits.append(t(language, "explain.consent.tiers", list=", ".join(data["tiers"])))
    return t(language, "explain.consent.only", limits="; ".join(limits))


def _where(facts: LeadFacts, language: str) -> str:
    parts = [facts.region or facts.country or t(language, "explain.country_unknown")]
    if facts.postal_area:
        parts.append(t(language, "explain.postal_area", area=facts.postal_area))
    parts.append(
        t(
            language,
            "explain.position_known" if facts.position_known else "explain.position_unknown",
        )
    )
    return ", ".join(parts)


def _state(data: StoredLeadExplanation, language: str) -> str:
    parts = [t(language, "explain.state", status=_status(data.status.value, language))]
    if data.offer_round:
        parts.append(
            t(language, "explain.state_round", round=data.offer_round, wave=data.current_wave)
        )
    if data.owner_partner_id:
        parts.append(t(language, "explain.state_owner", owner=data.owner_partner_id))
    return ", ".join(parts)


def _labelled(rows: list[tuple[str, str]], language: str) -> list[str]:
    """``  where:     …`` lines, the values in one column whatever the language's labels."""
    labels = [f"{t(language, f'explain.label.{key}')}:" for key, _ in rows]
    width = max(len(label) for label in labels) + 1
    return [f"  {label:<{width}}{value}" for label, (_, value) in zip(labels, rows, strict=True)]


def render_summary(data: StoredLeadExplanation, limit: int, language: str = "en") -> list[str]:
    lang = language
    ex = data.explanation
    facts = ex.lead
    segment = facts.segment or t(lang, "explain.none")
    basis = segment_basis(facts.segment_data, lang) if facts.segment_data else facts.segment_basis
    rows = [
        ("where", _where(facts, lang)),
        ("products", ", ".join(facts.products) or "-"),
        ("segment", f"{segment} ({basis})"),
        ("consent", _consent(facts, lang)),
    ]
    if data.exclusions:
        excluded = ", ".join(
            f"{pid} ({_reason(why, lang)})" for pid, why in sorted(data.exclusions.items())
        )
        rows.append(("excluded", excluded))
    rows.append(
        (
            "as_of_now",
            t(
                lang,
                "explain.as_of_now",
                checked=ex.checked,
                n=number(ex.checked, lang),
                eligible=number(len(ex.eligible), lang),
                ineligible=number(len(ex.ineligible), lang),
            ),
        )
    )
    weights = ex.eligible[0].weights if ex.eligible else None
    if weights is None and ex.ineligible:
        weights = ex.ineligible[0].weights
    if weights:
        rows.append(
            (
                "weights",
                ", ".join(
                    f"{t(lang, f'explain.component.{name}')} {number(weights[name], lang)}"
                    for name in COMPONENTS
                ),
            )
        )
    lines = [t(lang, "explain.lead", lead_id=facts.lead_id, state=_state(data, lang))]
    lines += _labelled(rows, lang)
    lines += ["", t(lang, "explain.eligible_head", count=len(ex.eligible))]
    if ex.eligible:
        header = (
            f"  {'#':>4}  {_fit(t(lang, 'explain.column.partner'), NAME_WIDTH):<{NAME_WIDTH}} "
            f"{_fit(t(lang, 'explain.column.score'), SCORE_WIDTH):>{SCORE_WIDTH}}  "
            + "  ".join(
                f"{_fit(t(lang, f'explain.short.{n}'), PART_WIDTH):>{PART_WIDTH}}"
                for n in COMPONENTS
            )
        )
        lines.append(header + "  " + t(lang, "explain.column.offers"))
        for item in _limited(ex.eligible, limit):
            name = _cut(f"{item.partner_id} {item.name}", NAME_WIDTH)
            parts = "  ".join(
                f"{decimal(item.components[n], lang):>{PART_WIDTH}}" for n in COMPONENTS
            )
            offers = _offers(data.offers.get(item.partner_id, ()), lang)
            rank = str(item.rank) if item.rank is not None else "?"
            score = decimal(item.score, lang)
            row = f"  {rank:>4}  {name:<{NAME_WIDTH}} {score:>{SCORE_WIDTH}}  {parts}  {offers}"
            lines.append(row.rstrip())
        lines += _more(len(ex.eligible), limit, lang)
    else:
        lines.append("  " + t(lang, "explain.none"))
    lines += ["", t(lang, "explain.ineligible_head", count=len(ex.ineligible))]
    if not ex.ineligible:
        lines.append("  " + t(lang, "explain.none"))
    for item in _limited(ex.ineligible, limit):
        failed = "; ".join(
            f"{filter_name(c.name, lang)}: {check_text(c, lang)}" for c in item.failed
        )
        lines.append(
            f"  {_cut(item.partner_id + ' ' + item.name, NAME_WIDTH):<{NAME_WIDTH}}  {failed}"
        )
        offers = _offers(data.offers.get(item.partner_id, ()), lang)
        if offers:
            earlier = t(lang, "explain.earlier_offers", offers=offers)
            lines.append(f"  {'':<{NAME_WIDTH}}  {earlier}")
    lines += _more(len(ex.ineligible), limit, lang)
    counts = ex.failure_counts()
    if counts:
        turned = ", ".join(f"{filter_name(k, lang)} {number(v, lang)}" for k, v in counts.items())
        lines += ["", t(lang, "explain.turned_away", list=turned)]
    return lines


def _limited(items: tuple[PartnerExplanation, ...], limit: int) -> tuple[PartnerExplanation, ...]:
    return items if limit <= 0 else items[:limit]


def _more(total: int, limit: int, language: str) -> list[str]:
    if 0 < limit < total:
        return ["  " + t(language, "explain.more", count=total - limit)]
    return []


def render_partner(
    data: StoredLeadExplanation, item: PartnerExplanation, language: str = "en"
) -> list[str]:
    lang = language
    ex = data.explanation
    verdict = (
        t(lang, "explain.verdict_eligible", rank=item.rank)
        if item.eligible
        else t(lang, "explain.verdict_not")
    )
    lines = [
        t(
            lang,
            "explain.partner_head",
            partner=item.partner_id,
            name=item.name,
            tier=item.tier,
            lead_id=ex.lead.lead_id,
            verdict=verdict,
        ),
        "  "
        + t(
            lang,
            "explain.partner_state",
            status=_status(data.status.value, lang),
            checked=ex.checked,
            n=number(ex.checked, lang),
            eligible=number(ex.eligible_count, lang),
        ),
        "",
        t(lang, "explain.filters"),
    ]
    names = {name: filter_name(name, lang) for name in (*FILTERS, *(c.name for c in item.checks))}
    width = max(13, *(len(n) + 1 for n in names.values()))
    for check in item.checks:
        mark = "✓" if check.passed else "✗"
        lines.append(f"  {mark} {names[check.name]:<{width}} {check_text(check, lang)}")
    head = "explain.score" if item.eligible else "explain.score_would"
    lines += ["", t(lang, head, score=decimal(item.score, lang))]
    components = {n: t(lang, f"explain.component.{n}") for n in COMPONENTS}
    width = max(13, *(len(c) + 1 for c in components.values()))
    for name in COMPONENTS:
        value, weight = item.components[name], item.weights[name]
        lines.append(
            f"  {components[name]:<{width}} {decimal(value, lang):>{PART_WIDTH}} × "
            f"{number(weight, lang)} = {decimal(value * weight, lang):>{PART_WIDTH}}"
        )
    offers = _offers(data.offers.get(item.partner_id, ()), lang) or t(lang, "explain.none")
    lines += ["", t(lang, "explain.offers_to_partner", offers=offers)]
    if item.partner_id in data.exclusions:
        reason = _reason(data.exclusions[item.partner_id], lang)
        lines.append(t(lang, "explain.excluded_from", reason=reason))
    if data.reach is not None:
        lines += _reach(data.reach, item.partner_id, lang)
    return lines


def _reach(reach: PartnerReach, partner_id: str, lang: str) -> list[str]:
    """Where the partner's teasers go, or that none reaches it (and the two ways out)."""
    if reach.channels:
        channels = ", ".join(f"{name} {address}" for name, address in reach.channels.items())
        lines = [t(lang, "explain.teasers_to", channels=channels)]
    else:
        lines = [t(lang, "explain.teasers_nowhere", partner=partner_id)]
    if reach.email_stopped_at is not None:
        when = day(reach.email_stopped_at, lang)
        lines.append(t(lang, "explain.email_stopped", day=when, partner=partner_id))
    return lines
