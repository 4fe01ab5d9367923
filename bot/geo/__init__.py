"""Offline geography: postal code -> state / two-digit postal area (and coordinates).

Nothing is downloaded at run time. This first version derives only the postal area; the
data-backed lookup (state, approximate coordinates) plugs in behind :func:`locate`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    region: str | None = None  # ISO 3166-2 subdivision, e.g. "DE-BY"
    postal_area: str | None = None  # the first two digits of the postal code
    lat: float | None = None
    lon: float | None = None


def postal_area(postal_code: str | None) -> str | None:
    if not postal_code:
        return None
    digits = postal_code.strip()
    return digits[:2] if len(digits) >= 2 and digits[:2].isdigit() else None


def locate(country: str | None, postal_code: str | None) -> Place:
    return Place(postal_area=postal_area(postal_code))
