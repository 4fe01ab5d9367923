"""Offline postal geography: known codes, fallbacks, border decisions, distances."""

from __future__ import annotations

import pytest

from bot.geo import Place, distance_km, locate, normalise_postal_code, postal_area


@pytest.mark.parametrize(
    ("country", "code", "region"),
    [
        ("DE", "80331", "DE-BY"),  # München
        ("DE", "10115", "DE-BE"),  # Berlin-Mitte
        ("DE", "20095", "DE-HH"),  # Hamburg
        ("DE", "28195", "DE-HB"),  # Bremen
        ("DE", "70173", "DE-BW"),  # Stuttgart
        ("DE", "01067", "DE-SN"),  # Dresden
        ("DE", "66111", "DE-SL"),  # Saarbrücken
        ("AT", "1010", "AT-9"),  # Wien
        ("AT", "5020", "AT-5"),  # Salzburg
        ("AT", "6020", "AT-7"),  # Innsbruck
        ("CH", "8001", "CH-ZH"),  # Zürich
        ("CH", "1204", "CH-GE"),  # Genève
        ("CH", "6900", "CH-TI"),  # Lugano
    ],
)
def test_known_codes_give_their_state(country: str, code: str, region: str) -> None:
    place = locate(country, code)
    assert place.region == region
    assert place.precision == "postal_code"
    assert place.postal_area == code[:2]


def test_coordinates_are_near_the_city() -> None:
    munich = locate("DE", "80331")
    assert munich.lat is not None and munich.lon is not None
    assert distance_km(munich.lat, munich.lon, 48.137, 11.575) < 5
    berlin = locate("DE", "10115")
    assert berlin.lat is not None and berlin.lon is not None
    assert 480 < distance_km(munich.lat, munich.lon, berlin.lat, berlin.lon) < 520


def test_codes_straddling_a_border_follow_the_documented_decisions() -> None:
    # GeoNames files Hamburg-Bergedorf under Schleswig-Holstein; the place name wins.
    assert locate("DE", "21039").region == "DE-HH"
    # Wien-Floridsdorf shares 1210 with one village in Lower Austria: decided by hand.
    assert locate("AT", "1210").region == "AT-9"
    # Berlin / Schönefeld tie: the surrounding postal area (Berlin) decides.
    assert locate("DE", "12529").region == "DE-BE"


def test_unknown_code_falls_back_to_its_three_digit_area() -> None:
    place = locate("DE", "80399")  # not a delivered code; the 803xx area is München
    assert place.region == "DE-BY"
    assert place.precision == "postal_area"
    assert place.lat is not None and abs(place.lat - 48.14) < 0.2


def test_spreadsheet_mangled_codes_are_normalised() -> None:
    assert normalise_postal_code("DE", "1067") == "01067"
    assert normalise_postal_code("DE", "D-80331") == "80331"
    assert normalise_postal_code("CH", "CH-8001") == "8001"
    assert normalise_postal_code("AT", " 1010 ") == "1010"
    assert locate("de", "1067").region == "DE-SN"


def test_other_countries_and_missing_codes_give_only_the_postal_area() -> None:
    assert locate("FR", "75001") == Place(postal_area="75")
    assert locate("DE", None) == Place()
    assert locate(None, "80331") == Place(postal_area="80")
    assert locate("DE", "ABCDE") == Place()
    assert postal_area("8") is None


def test_distance_is_symmetric_and_zero_on_the_spot() -> None:
    assert distance_km(48.0, 11.0, 48.0, 11.0) == 0
    there = distance_km(48.0, 11.0, 52.5, 13.4)
    assert there == pytest.approx(distance_km(52.5, 13.4, 48.0, 11.0))
    # One degree of latitude is about 111 km.
    assert distance_km(48.0, 11.0, 49.0, 11.0) == pytest.approx(111.2, abs=0.5)
