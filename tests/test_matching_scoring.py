"""The score: order by each component, weights, smoothing, ties, and agreement with explain."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.matching import COMPONENTS, PartnerIndex, explain, explain_lead, rank
from tests.support.profiles import BERLIN, MUNICH, NUREMBERG, lead, matching_settings, partner

ONLY = {name: 0.0 for name in COMPONENTS}


def only(component: str, **extra: Any) -> Any:
    """Settings where a single component counts."""
    return matching_settings(weights={**ONLY, component: 1.0}, **extra)


def test_closer_partner_ranks_first_and_unknown_distance_is_neutral() -> None:
    partners = [
        partner("FAR", lat=BERLIN[0], lon=BERLIN[1]),
        partner("NEAR", lat=NUREMBERG[0], lon=NUREMBERG[1]),
        partner("SPOT", lat=MUNICH[0], lon=MUNICH[1]),
        partner("UNKNOWN"),
    ]
    ranking = rank(lead(), partners, frozenset(), only("distance", max_distance_km=300))
    assert ranking.ids == ["SPOT", "UNKNOWN", "NEAR", "FAR"]
    by_id = {d.partner_id: d for d in ranking}
    assert by_id["SPOT"].components["distance"] == pytest.approx(1.0, abs=1e-3)
    assert by_id["UNKNOWN"].components["distance"] == 0.5
    assert by_id["FAR"].components["distance"] == 0.0  # beyond max_distance_km


def test_tier_follows_the_configured_order() -> None:
    partners = [partner(t, tier=t) for t in ("registered", "gold", "silver", "platinum", "odd")]
    ranking = rank(lead(), partners, frozenset(), only("tier"))
    assert ranking.ids == ["platinum", "gold", "silver", "odd", "registered"]
    scores = {d.partner_id: d.components["tier"] for d in ranking}
    assert scores["platinum"] == 1.0
    assert scores["gold"] == pytest.approx(2 / 3)
    assert scores["registered"] == 0.0 and scores["odd"] == 0.0  # unknown tier: no credit
    reordered = only("tier", tiers=["silver", "gold", "platinum", "registered"])
    assert rank(lead(), partners, frozenset(), reordered).ids[0] == "silver"


def test_certification_level_for_the_leads_lines() -> None:
    partners = [
        partner("BASIC", certifications={"X-series": "basic"}),
        partner("EXPERT", certifications={"X-series": "expert"}),
        partner("ADV", certifications={"X-series": "advanced"}),
    ]
    ranking = rank(lead(), partners, frozenset(), only("certification"))
    assert ranking.ids == ["EXPERT", "ADV", "BASIC"]
    assert [d.components["certification"] for d in ranking] == pytest.approx([1, 2 / 3, 1 / 3])
    # Two lines: the average; a missing line counts 0.
    two = lead(products=("X200", "C10"))
    p = partner(certifications={"X-series": "expert", "Cloud": "basic"})
    parts = explain(two, p, frozenset(), matching_settings()).components
    assert parts["certification"] == pytest.approx((1 + 1 / 3) / 2)


def test_conversion_is_smoothed_so_new_partners_are_not_starved() -> None:
    partners = [
        partner("NEW"),  # no history: prior 1/4
        partner("BAD", won=0, closed=10),  # 1/14
        partner("GOOD", won=6, closed=10),  # 7/14
    ]
    ranking = rank(lead(), partners, frozenset(), only("conversion"))
    assert ranking.ids == ["GOOD", "NEW", "BAD"]
    parts = {d.partner_id: d.components["conversion"] for d in ranking}
    assert parts == pytest.approx({"NEW": 0.25, "BAD": 1 / 14, "GOOD": 0.5})
    strong_prior = only("conversion", conversion_prior_won=5, conversion_prior_closed=10)
    parts = {
        d.partner_id: d.components["conversion"] for d in rank(lead(), partners, (), strong_prior)
    }
    assert parts == pytest.approx({"NEW": 0.5, "BAD": 0.25, "GOOD": 11 / 20})


def test_less_loaded_partner_first() -> None:
    partners = [
        partner("BUSY", open_leads=4, max_open_leads=5),
        partner("FREE", open_leads=0, max_open_leads=5),
        partner("HALF", open_leads=5, max_open_leads=10),
    ]
    ranking = rank(lead(), partners, frozenset(), only("load"))
    assert ranking.ids == ["FREE", "HALF", "BUSY"]
    assert [d.components["load"] for d in ranking] == pytest.approx([1.0, 0.5, 0.2])


def test_score_is_the_weighted_sum_of_components_in_unit_range() -> None:
    weights = {"distance": 2.0, "tier": 0.5, "certification": 1.5, "conversion": 3.0, "load": 1.0}
    weights["fairness"] = 0.5
    s = matching_settings(weights=weights)
    partners = [
        partner("A", lat=NUREMBERG[0], lon=NUREMBERG[1], tier="silver", won=2, closed=3),
        partner("B", tier="platinum", open_leads=3, certifications={"X-series": "expert"}),
    ]
    for d in rank(lead(), partners, frozenset(), s):
        assert all(0.0 <= v <= 1.0 for v in d.components.values())
        assert d.score == pytest.approx(sum(d.components[k] * weights[k] for k in COMPONENTS))


def test_weights_change_the_order() -> None:
    near_registered = partner("NEAR", lat=MUNICH[0], lon=MUNICH[1], tier="registered")
    far_platinum = partner("FAR", lat=BERLIN[0], lon=BERLIN[1], tier="platinum")
    both = [near_registered, far_platinum]
    by_distance = matching_settings(weights={**ONLY, "distance": 3.0, "tier": 1.0})
    by_tier = matching_settings(weights={**ONLY, "distance": 1.0, "tier": 3.0})
    assert rank(lead(), both, frozenset(), by_distance).ids == ["NEAR", "FAR"]
    assert rank(lead(), both, frozenset(), by_tier).ids == ["FAR", "NEAR"]


def test_equal_scores_fall_back_to_partner_id() -> None:
    partners = [partner(pid) for pid in ("P3", "P10", "P1", "P2")]
    assert rank(lead(), partners, frozenset(), matching_settings()).ids == ["P1", "P10", "P2", "P3"]
    assert rank(lead(), partners, frozenset(), matching_settings(weights=ONLY)).ids == [
        "P1",
        "P10",
        "P2",
        "P3",
    ]


def test_ranking_lists_only_eligible_partners_and_counts_all() -> None:
    partners = [partner("OK"), partner("FULL", open_leads=5), partner("AT", regions=("AT",))]
    ranking = rank(lead(), partners, frozenset(), matching_settings())
    assert ranking.ids == ["OK"] and ranking.checked == 3
    assert [d.eligible for d in ranking] == [True]
    assert ranking.rank_of("OK") == 1 and ranking.rank_of("FULL") is None


def test_a_prebuilt_index_ranks_many_leads_like_a_fresh_one() -> None:
    s = matching_settings()
    partners = [
        partner("BY", regions=("DE-BY",)),
        partner("BE", regions=("DE-BE",)),
        partner("ALL"),
    ]
    index = PartnerIndex.build(partners, s)
    berlin = lead(region="DE-BE", postal_code="10115", postal_area="10", lat=None, lon=None)
    for the_lead in (lead(), berlin):
        assert rank(the_lead, index, frozenset(), s).ids == rank(the_lead, partners, (), s).ids
    assert rank(berlin, index, frozenset(), s).ids == ["ALL", "BE"]
    # An index built with other settings is rebuilt, not misused.
    refuse_all = matching_settings(products=[])
    assert rank(lead(products=("X200",)), index, (), refuse_all).ids == ["ALL", "BY"]


# ranking and explanation agree, over generated directories ----------------------------

TIERS = ["platinum", "gold", "silver", "registered", "odd"]
TERRITORIES = ["DE", "AT", "CH", "DE-BY", "DE-BE", "AT-9", "DE:8", "DE:80", "DE:10", "CH:80"]
PLACES = [
    ("DE", "DE-BY", "80331", 48.135, 11.571),
    ("DE", "DE-BE", "10115", 52.532, 13.385),
    ("AT", "AT-9", "1010", 48.208, 16.370),
    ("CH", "CH-ZH", "8001", 47.372, 8.542),
]


@st.composite
def partners_strategy(draw: st.DrawFn) -> Any:
    n = draw(st.integers(1, 25))
    out = []
    for i in range(n):
        has_pos = draw(st.booleans())
        out.append(
            partner(
                f"P{i:02d}",
                tier=draw(st.sampled_from(TIERS)),
                certifications=draw(
                    st.dictionaries(
                        st.sampled_from(["X-series", "Cloud", "x-SERIES"]),
                        st.sampled_from(["basic", "advanced", "expert", "bogus"]),
                        max_size=2,
                    )
                ),
                country=draw(st.sampled_from(["DE", "AT", "CH"])),
                lat=draw(st.floats(46, 55)) if has_pos else None,
                lon=draw(st.floats(6, 17)) if has_pos else None,
                service_radius_km=draw(st.none() | st.floats(10, 600)),
                regions=tuple(draw(st.lists(st.sampled_from(TERRITORIES), max_size=3))),
                segments=tuple(
                    draw(st.lists(st.sampled_from(["sme", "enterprise", "public"]), max_size=2))
                ),
                products=tuple(
                    draw(st.lists(st.sampled_from(["X200", "X500", "C10", "Z9"]), max_size=3))
                ),
                max_open_leads=draw(st.integers(0, 6)),
                open_leads=draw(st.integers(0, 6)),
                active=draw(st.booleans()) or draw(st.booleans()),
                paused=draw(st.integers(0, 9)) == 0,
                on_leave=draw(st.integers(0, 9)) == 0,
                won=(won := draw(st.integers(0, 20))),
                closed=won + draw(st.integers(0, 20)),
            )
        )
    return out


@st.composite
def lead_strategy(draw: st.DrawFn) -> Any:
    country, region, code, lat, lon = draw(st.sampled_from(PLACES))
    positioned = draw(st.booleans())
    return lead(
        country=country,
        region=region,
        postal_code=code,
        postal_area=code[:2],
        lat=lat if positioned else None,
        lon=lon if positioned else None,
        products=tuple(draw(st.lists(st.sampled_from(["X200", "X500", "C10", "Z9"]), max_size=3))),
        employees=draw(st.none() | st.integers(0, 5000)),
        industry=draw(st.sampled_from(["food", "government", None])),
        consent_partner_contact=draw(st.integers(0, 9)) > 0,
        allowed_tiers=frozenset(draw(st.lists(st.sampled_from(TIERS), max_size=2))),
        allowed_partners=frozenset(
            draw(st.lists(st.sampled_from(["P00", "P01", "P02"]), max_size=2))
        )
        if draw(st.integers(0, 4)) == 0
        else frozenset(),
    )


@given(
    the_lead=lead_strategy(),
    partners=partners_strategy(),
    require_stock=st.booleans(),
    require_certification=st.booleans(),
    unknown=st.sampled_from(["ignore", "refuse"]),
    excluded=st.sets(st.sampled_from(["P00", "P03", "P07"])),
)
@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ranking_agrees_with_the_explanation(
    the_lead: Any,
    partners: Any,
    require_stock: bool,
    require_certification: bool,
    unknown: str,
    excluded: set[str],
) -> None:
    s = matching_settings(
        require_stock=require_stock,
        require_certification=require_certification,
        unknown_products=unknown,
        weights={
            "distance": 1.3,
            "tier": 0.7,
            "certification": 1.0,
            "conversion": 2.0,
            "load": 0.4,
        },
    )
    ranking = rank(the_lead, partners, excluded, s)
    explained = explain_lead(the_lead, partners, excluded, s)
    assert ranking.ids == [e.partner_id for e in explained.eligible]
    assert [e.rank for e in explained.eligible] == list(range(1, len(ranking) + 1))
    # The order, recomputed from the explanation alone: score descending, then id.
    by_explanation = sorted(explained.eligible, key=lambda e: (-e.score, e.partner_id))
    assert ranking.ids == [e.partner_id for e in by_explanation]
    for decision, item in zip(ranking, explained.eligible, strict=True):
        assert decision.score == pytest.approx(item.score, abs=1e-9)
        assert decision.components == pytest.approx(item.components, abs=1e-9)
    scores = [d.score for d in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(item.failed for item in explained.ineligible)
    assert ranking.checked == len(partners)
