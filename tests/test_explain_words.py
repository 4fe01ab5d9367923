"""Every filter reason has German words, and English words that match ``Check.detail``.

The reasons staff read come from the filters' ``key`` and ``params`` (``bot.explain.words``);
the English ``detail`` stays in the data for ``--json``. A filter reason without a
catalog entry would fall back to English in a German explanation — this finds any.
"""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from babel.numbers import format_decimal

from bot.explain.words import check_text, decimal
from bot.i18n import catalog
from bot.matching import FILTERS, Check, explain
from tests.support.profiles import BERLIN, NUREMBERG, lead, matching_settings, partner

BY_STAFF = {"key": "paused_by", "by": None}
SLA_TWICE = {"key": "sla_misses", "misses": 2}
SLA_WORDS = "missed the claim SLA 2 times"

CASES = [
    (lead(consent_partner_contact=False), partner(), {}),
    (lead(allowed_partners=frozenset({f"P{n}" for n in range(2, 9)})), partner(), {}),
    (lead(allowed_tiers=frozenset({"Platinum"})), partner(tier="gold"), {}),
    (lead(allowed_tiers=frozenset({"gold"})), partner(), {}),
    (lead(), partner(active=False), {}),
    (lead(), partner(on_leave=True, on_leave_until=date(2026, 3, 10)), {}),
    (lead(), partner(paused=True, pause_reason="3 SLA misses"), {}),
    (lead(), partner(lat=NUREMBERG[0], lon=NUREMBERG[1], service_radius_km=100), {}),
    (lead(), partner(lat=NUREMBERG[0], lon=NUREMBERG[1], service_radius_km=200), {}),
    (
        lead(lat=None, lon=None),
        partner(lat=BERLIN[0], lon=BERLIN[1], service_radius_km=100, regions=("DE-BY",)),
        {},
    ),
    (lead(), partner(regions=("DE-BW", "DE:70")), {}),
    (lead(country="AT", region=None), partner(regions=()), {}),
    (lead(products=("X200", "X500", "Z9")), partner(certifications={"X-series": "basic"}), {}),
    (lead(products=()), partner(), {}),
    (lead(products=("C10",)), partner(certifications={}), {}),
    (lead(), partner(segments=("enterprise",)), {}),
    (lead(employees=None), partner(segments=("sme",)), {}),
    (lead(employees=0), partner(segments=("sme",)), {}),
    (lead(industry="government"), partner(segments=("public",)), {}),
    (lead(), partner(open_leads=5, max_open_leads=5), {}),
    (lead(), partner(), {"P1": "declined"}),
    (lead(), partner(), {"P1": "moved"}),
    # A pause nobody explained: its cause, with the English words the snapshot gives it.
    (lead(), partner(paused=True, pause_reason="paused by staff", pause_cause=BY_STAFF), {}),
    (lead(), partner(paused=True, pause_reason=SLA_WORDS, pause_cause=SLA_TWICE), {}),
]


def _checks() -> list[Check]:
    found = []
    for settings in (matching_settings(), matching_settings(require_stock=True)):
        for lead_profile, partner_profile, excluded in CASES:
            found.extend(explain(lead_profile, partner_profile, excluded, settings).checks)
    return found


def test_every_filter_reason_is_data_with_words_in_both_languages() -> None:
    checks = _checks()
    assert {c.name for c in checks} == set(FILTERS)
    keys = {c.key for c in checks}
    assert keys == {
        "consent_none", "consent_partners", "consent_tiers", "consent_named", "consent_any",
        "deactivated", "on_leave", "paused", "active",
        "distance", "territory", "outside", "home_country",
        "product_list", "no_products",
        "all_segments", "segment_unknown", "segment", "segment_other",
        "capacity", "at_capacity", "excluded", "not_excluded",
    }  # fmt: skip
    for check in checks:
        assert check_text(check, "en") == check.detail, check
        notes = {n["key"] for item in check.params.get("items", ()) for n in item["notes"]}
        if notes == {"level_ok"}:  # "X200: X-series advanced ≥ basic": no words to translate
            continue
        assert check_text(check, "de") != check.detail, check


@pytest.mark.parametrize(
    ("case", "german"),
    [
        (1, "Einwilligung nur für die Partner P2, P3, P4, P5, P6 und 2 weitere"),
        (5, "Partner ist abwesend bis 10.03.2026"),
        (6, "Partner ist pausiert (3 SLA misses)"),
        (9, "im Gebiet DE-BY (Position des Leads unbekannt, Radius nicht genutzt)"),
        (10, "Lead in DE-BY, PLZ-Gebiet 80 liegt außerhalb der Gebiete DE-BW, DE:70"),
        (17, "Segment des Leads: keine (Mitarbeitende: 0, unter dem KMU-Minimum 1); der Partner"),
        (22, "Partner ist pausiert (von Mitarbeitenden)"),
        (23, "Partner ist pausiert (Frist zur Kontaktaufnahme 2-mal verpasst)"),
    ],
)
def test_german_reasons_read_as_german(case: int, german: str) -> None:
    lead_profile, partner_profile, excluded = CASES[case]
    checks = explain(lead_profile, partner_profile, excluded, matching_settings()).failed
    checks = checks or explain(lead_profile, partner_profile, excluded, matching_settings()).checks
    assert any(check_text(c, "de").startswith(german) for c in checks), [
        check_text(c, "de") for c in checks
    ]


def test_a_check_whose_params_do_not_fit_falls_back_to_english() -> None:
    odd = Check("region", False, "distance 5 km > radius 1 km", "distance", {"distance": "far"})
    assert check_text(odd, "de") == "distance 5 km > radius 1 km"


def test_german_has_one_word_for_staff_and_employees() -> None:
    """Teasers said "Mitarbeitende", explain "Mitarbeiter", the cockpit "Mitarbeiter des
    Herstellers": German texts now use "Mitarbeitende" (also in compounds) throughout."""
    old = {k: v for k, v in catalog("de").items() if re.search(r"[Mm]itarbeiter(?!nde)", v)}
    assert not old, old
    segment = explain(*CASES[15], matching_settings()).failed[0]  # partner serves enterprise
    assert check_text(segment, "de") == (
        "Segment des Leads: sme (Mitarbeitende: 120); der Partner bedient enterprise"
    )


@pytest.mark.parametrize("language", ["de", "en"])
def test_numbers_read_as_babel_writes_them(language: str) -> None:
    """``decimal`` formats without Babel's per-call pattern parsing (7 numbers per partner
    in an explanation), and still writes exactly what Babel's ``#,##0.00`` writes: the
    locale's separators and minus sign, half-even rounding of the number as written."""
    rng = random.Random(7)
    values = [0.0, -0.0, 0.005, 0.015, 0.125, 0.675, 1.005, -0.005, 999.995, 1234567.891]
    values += [rng.uniform(-20_000, 20_000) for _ in range(2_000)]
    values += [round(rng.random(), 3) for _ in range(2_000)] + [float("inf"), float("-inf")]
    for digits in (0, 1, 2, 3):
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        for value in values:
            babel = format_decimal(value, format=pattern, locale=language)
            assert decimal(value, language, digits) == babel, (value, digits)
