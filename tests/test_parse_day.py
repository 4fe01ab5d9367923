"""Follow-up dates as reps type them on any platform."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import InvalidInput
from bot.leads.status_reports import parse_day

TODAY = date(2026, 12, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-05", date(2027, 1, 5)),
        ("05.01.2027", date(2027, 1, 5)),
        ("5.1.", date(2027, 1, 5)),  # no year, already past this year: next year
        ("24.12.", date(2026, 12, 24)),
        ("+3d", date(2026, 12, 23)),
        ("+ 3 t", date(2026, 12, 23)),
        ("+1w", date(2026, 12, 27)),
        ("morgen", date(2026, 12, 21)),
        ("Today", TODAY),
    ],
)
def test_typed_dates(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "soon", "31.02.2027", "+d", "2027-13-01"])
def test_not_a_date_names_the_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a date"):
        parse_day(text, TODAY)
