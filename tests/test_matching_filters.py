"""Each hard filter, passing and failing, with the sentence staff will read.

Every case goes through both the explanation and the fast ranking (``verdict``), so a
filter that explains one thing and ranks another fails here.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.geo import distance_km
from bot.matching import FILTERS, explain
from tests.support.profiles import (
    BERLIN,
    MUNICH,
    NUREMBERG,
    lead,
    matching_settings,
    partner,
    verdict,
)


def test_a_fitting_partner_passes_every_filter_in_order() -> None:
    explained = explain(lead(), partner(), frozenset(), matching_settings())
    assert [c.name for c in explained.checks] == list(FILTERS)
    assert explained.eligible and not explained.failed


# consent -----------------------------------------------------------------------------


def test_no_consent_turns_everyone_away() -> None:
    check, ranked = verdict(lead(consent_partner_contact=False), partner(), "consent")
    assert not check.passed and not ranked
    assert check.detail == "the lead did not consent to contact by partners"


def test_consent_limited_to_named_partners() -> None:
    limited = lead(allowed_partners=frozenset({"P2", "P3"}))
    check, ranked = verdict(limited, partner("P1"), "consent")
    assert not check.passed and not ranked
    assert check.detail == "consent limited to partners P2, P3"
    check, ranked = verdict(limited, partner("P2"), "consent")
    assert check.passed and ranked


def test_consent_limited_to_tiers_is_case_insensitive() -> None:
    limited = lead(allowed_tiers=frozenset({"Platinum"}))
    check, ranked = verdict(limited, partner(tier="gold"), "consent")
    assert not check.passed and not ranked
    assert check.detail == "consent limited to tiers platinum; partner is gold"
    check, ranked = verdict(limited, partner(tier="platinum"), "consent")
    assert check.passed and ranked


# active ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"active": False}, "partner is deactivated"),
        (
            {"on_leave": True, "on_leave_until": date(2026, 3, 10)},
            "partner is on leave until 2026-03-10",
        ),
        ({"paused": True, "pause_reason": "3 SLA misses"}, "partner is paused (3 SLA misses)"),
    ],
)
def test_inactive_on_leave_or_paused_partners_get_nothing(
    fields: dict[str, object], detail: str
) -> None:
    check, ranked = verdict(lead(), partner(**fields), "active")
    assert not check.passed and not ranked
    assert check.detail == detail


def test_active_partner_passes() -> None:
    check, ranked = verdict(lead(), partner(), "active")
    assert check.passed and ranked and check.detail == "not deactivated, paused or on leave"


# region ------------------------------------------------------------------------------


def test_distance_beyond_the_service_radius_fails_with_both_numbers() -> None:
    nuremberg = partner(lat=NUREMBERG[0], lon=NUREMBERG[1], service_radius_km=100)
    check, ranked = verdict(lead(), nuremberg, "region")
    km = distance_km(*MUNICH, *NUREMBERG)
    assert 140 < km < 160
    assert not check.passed and not ranked
    assert check.detail == f"distance {km:.0f} km > radius 100 km"


def test_distance_within_the_service_radius_passes() -> None:
    nuremberg = partner(lat=NUREMBERG[0], lon=NUREMBERG[1], service_radius_km=200)
    check, ranked = verdict(lead(), nuremberg, "region")
    assert check.passed and ranked
    assert re.fullmatch(r"distance 1[45]\d km ≤ radius 200 km", check.detail)


def test_radius_decides_over_territories_when_both_positions_are_known() -> None:
    berlin = partner(lat=BERLIN[0], lon=BERLIN[1], service_radius_km=100, regions=("DE",))
    check, ranked = verdict(lead(), berlin, "region")
    assert not check.passed and not ranked
    assert check.detail.startswith("distance ") and "> radius 100 km" in check.detail


def test_without_the_lead_position_territories_decide() -> None:
    berlin = partner(lat=BERLIN[0], lon=BERLIN[1], service_radius_km=100, regions=("DE-BY",))
    check, ranked = verdict(lead(lat=None, lon=None), berlin, "region")
    assert check.passed and ranked
    assert check.detail == "in territory DE-BY (lead position unknown, radius not used)"


@pytest.mark.parametrize(
    ("regions", "passed"),
    [
        (("DE-BY",), True),
        (("DE:80",), True),
        (("DE:8",), True),
        (("DE:803",), True),
        (("de-by",), True),
        (("DE",), True),
        (("DE-BW", "DE:70"), False),
        (("DE:81",), False),
        (("AT",), False),
    ],
)
def test_territories_by_country_state_and_postal_prefix(
    regions: tuple[str, ...], passed: bool
) -> None:
    check, ranked = verdict(lead(), partner(regions=regions), "region")
    assert check.passed is passed and ranked is passed
    if not passed:
        assert check.detail.startswith("lead in DE-BY, postal area 80 is outside territories")


def test_postal_prefix_uses_the_postal_area_when_the_exact_code_is_gone() -> None:
    erased = lead(postal_code=None, lat=None, lon=None)
    assert verdict(erased, partner(regions=("DE:80",)), "region")[1]
    assert not verdict(erased, partner(regions=("DE:803",)), "region")[1]


def test_partner_without_territories_or_radius_serves_its_own_country() -> None:
    check, ranked = verdict(lead(), partner(regions=()), "region")
    assert check.passed and ranked
    assert check.detail == "partner serves its own country DE; lead is in DE"
    austrian = lead(country="AT", region="AT-9", postal_code="1010", postal_area="10")
    check, ranked = verdict(austrian, partner(regions=()), "region")
    assert not check.passed and not ranked
    assert check.detail == "partner serves its own country DE; lead is in AT"


def test_lead_without_country_matches_no_territory() -> None:
    nowhere = lead(
        country=None, region=None, postal_code=None, postal_area=None, lat=None, lon=None
    )
    check, ranked = verdict(nowhere, partner(regions=()), "region")
    assert not check.passed and not ranked


# products ----------------------------------------------------------------------------


def test_certification_below_the_products_minimum_fails() -> None:
    basic = partner(certifications={"X-series": "basic"})
    check, ranked = verdict(lead(products=("X500",)), basic, "products")
    assert not check.passed and not ranked
    assert check.detail == "X500: X-series basic < required advanced"


def test_missing_certification_line_fails() -> None:
    check, ranked = verdict(lead(products=("X200", "C10")), partner(), "products")
    assert not check.passed and not ranked
    assert check.detail == "X200: X-series advanced ≥ basic; C10: not certified for Cloud"


def test_sufficient_certification_passes_and_stock_is_ignored_by_default() -> None:
    check, ranked = verdict(lead(), partner(products=()), "products")
    assert check.passed and ranked
    assert check.detail == "X200: X-series advanced ≥ basic"


def test_require_stock_checks_the_partners_products() -> None:
    settings = matching_settings(require_stock=True, require_certification=False)
    check, ranked = verdict(lead(), partner(products=(), certifications={}), "products", settings)
    assert not check.passed and not ranked
    assert check.detail == "X200: not stocked"
    check, ranked = verdict(lead(), partner(certifications={}), "products", settings)
    assert check.passed and ranked and check.detail == "X200: in stock"


def test_both_requirements_together() -> None:
    settings = matching_settings(require_stock=True, require_certification=True)
    check, ranked = verdict(lead(), partner(products=()), "products", settings)
    assert not check.passed and not ranked
    assert check.detail == "X200: X-series advanced ≥ basic, not stocked"


def test_unknown_products_are_ignored_or_refused_as_configured() -> None:
    asks = lead(products=("Z9",))
    check, ranked = verdict(asks, partner(), "products")
    assert check.passed and ranked
    assert check.detail == "Z9: not in the product catalogue, certification not checked"
    refuse = matching_settings(unknown_products="refuse")
    check, ranked = verdict(asks, partner(), "products", refuse)
    assert not check.passed and not ranked
    assert check.detail == "Z9: not in the product catalogue"


def test_no_products_asked_for_passes() -> None:
    check, ranked = verdict(lead(products=()), partner(certifications={}), "products")
    assert check.passed and ranked and check.detail == "no product asked for"


# segment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("employees", "industry", "segment"),
    [
        (999, "food", "sme"),
        (1000, "food", "enterprise"),
        (5000, "Government", "public"),
        (1, "food", "sme"),
    ],
)
def test_segment_thresholds(employees: int, industry: str, segment: str) -> None:
    the_lead = lead(employees=employees, industry=industry)
    check, ranked = verdict(the_lead, partner(segments=(segment,)), "segment")
    assert check.passed and ranked
    assert check.detail.startswith(f"lead's segment: {segment} (")
    others = tuple(s for s in ("sme", "enterprise", "public") if s != segment)
    check, ranked = verdict(the_lead, partner(segments=others), "segment")
    assert not check.passed and not ranked


def test_segment_thresholds_come_from_settings() -> None:
    settings = matching_settings(enterprise_min_employees=100, sme_min_employees=10)
    check, _ = verdict(lead(employees=120), partner(segments=("enterprise",)), "segment", settings)
    assert check.passed and check.detail == "lead's segment: enterprise (120 employees)"
    check, ranked = verdict(lead(employees=5), partner(segments=("sme",)), "segment", settings)
    assert not check.passed and not ranked
    assert check.detail == (
        "lead's segment: none (5 employees, below the SME minimum 10); partner serves sme"
    )


def test_failing_segment_names_what_the_partner_serves() -> None:
    check, _ = verdict(lead(employees=120), partner(segments=("enterprise", "public")), "segment")
    assert check.detail == "lead's segment: sme (120 employees); partner serves enterprise, public"


def test_empty_segment_list_means_all_and_unknown_size_is_not_checked() -> None:
    check, ranked = verdict(lead(), partner(segments=()), "segment")
    assert check.passed and ranked and check.detail == "partner serves all segments"
    check, ranked = verdict(lead(employees=None), partner(segments=("enterprise",)), "segment")
    assert check.passed and ranked
    assert check.detail == "unknown (employees unknown): not checked"


# capacity and exclusion --------------------------------------------------------------


def test_capacity() -> None:
    check, ranked = verdict(lead(), partner(open_leads=5, max_open_leads=5), "capacity")
    assert not check.passed and not ranked
    assert check.detail == "5 of 5 open leads: at capacity"
    check, ranked = verdict(lead(), partner(open_leads=4, max_open_leads=5), "capacity")
    assert check.passed and ranked and check.detail == "4 of 5 open leads"


def test_excluded_partner_with_reason() -> None:
    check, ranked = verdict(lead(), partner("P1"), "not_excluded", excluded={"P1": "returned"})
    assert not check.passed and not ranked
    assert check.detail == "returned this lead before"
    check, ranked = verdict(lead(), partner("P2"), "not_excluded", excluded={"P1": "returned"})
    assert check.passed and ranked
    check, _ = verdict(lead(), partner("P1"), "not_excluded", excluded={"P1": "recalled"})
    assert check.detail == "was recalled from this lead before"
    check, _ = verdict(lead(), partner("P1"), "not_excluded", excluded=frozenset({"P1"}))
    assert check.detail == "returned, declined or was recalled from this lead before"
