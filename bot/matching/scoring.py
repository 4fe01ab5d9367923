"""The score: components in [0, 1], each times its weight from ``[matching.weights]``.

Each formula is written once, over numpy arrays, and used both by the ranking (one call
for all partners) and by the explanation (one partner: a 0-d array). That is what keeps a
partner's explained score equal to the score it was ranked by.

* ``distance``      1 on the spot, falling linearly to 0 at ``max_distance_km``;
                    0.5 (neutral) when the lead's or the partner's position is unknown.
* ``tier``          1 for the first of ``tiers``, falling evenly to 0 for the last;
                    0 for a tier that is not listed.
* ``certification`` per product line the lead asks for, (level + 1) / number of levels
                    (0 if not certified), averaged over the lines; 0.5 when the lead
                    names no known product.
* ``conversion``    (won + prior_won) / (closed + prior_closed): a new partner starts at
                    the prior (default 1/4) instead of 0, so it is not starved of leads.
* ``load``          1 - open / max open leads: the less loaded partner first.
* ``fairness``      1 / (1 + (offers + 3 × wins) / max open leads) over the last
                    ``fairness_days``: a partner that lately received or won many leads for
                    its size scores lower, so comparable partners take turns. 1 for a
                    partner that got nothing lately. Its weight is ``[matching] fairness``.

Ties (equal scores) go to the partner that waited longest since its last offer, then to
the partner id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bot.geo import EARTH_RADIUS_KM
from bot.matching.model import NO_RECENT, LeadProfile, PartnerProfile, Recent
from bot.matching.rules import COMPONENTS, NEUTRAL, Rules

Array = np.ndarray[Any, np.dtype[np.float64]]


def distance_component(km: Array | float, max_km: float) -> Array:
    """NaN (unknown distance) gives the neutral value."""
    km = np.asarray(km, dtype=np.float64)
    return np.where(np.isnan(km), NEUTRAL, np.clip(1.0 - km / max_km, 0.0, 1.0))


def certification_component(levels: Array, n_levels: int) -> Array:
    """``levels``: shape (lines, partners) of level indexes, -1 = not certified."""
    levels = np.asarray(levels, dtype=np.float64)
    if levels.shape[0] == 0:
        return np.full(levels.shape[1:], NEUTRAL)
    per_line = np.where(levels < 0, 0.0, (levels + 1.0) / n_levels)
    return per_line.mean(axis=0)  # type: ignore[no-any-return]


def conversion_component(won: Array | float, closed: Array | float, rules: Rules) -> Array:
    won = np.asarray(won, dtype=np.float64)
    closed = np.asarray(closed, dtype=np.float64)
    rate = (won + rules.prior_won) / (closed + rules.prior_closed)
    return np.clip(rate, 0.0, 1.0)


def load_component(open_leads: Array | float, max_open: Array | float) -> Array:
    open_leads = np.asarray(open_leads, dtype=np.float64)
    max_open = np.asarray(max_open, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        free = 1.0 - open_leads / max_open
    return np.where(max_open > 0, np.clip(free, 0.0, 1.0), 0.0)


WIN_WEIGHT = 3.0
"""A claimed lead weighs as much as this many teasers in the fairness pressure."""


def fairness_component(
    offers: Array | float, wins: Array | float, max_open: Array | float
) -> Array:
    offers = np.asarray(offers, dtype=np.float64)
    wins = np.asarray(wins, dtype=np.float64)
    capacity = np.maximum(np.asarray(max_open, dtype=np.float64), 1.0)
    return 1.0 / (1.0 + (offers + WIN_WEIGHT * wins) / capacity)  # type: ignore[no-any-return]


def haversine_km(lat: float, lon: float, lats: Array, lons: Array) -> Array:
    """Vectorised great-circle distance from one point (degrees) to many (radians)."""
    p1 = np.radians(lat)
    dlat = lats - p1
    dlon = lons - np.radians(lon)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(lats) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))  # type: ignore[no-any-return]


def total(components: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return float(sum(components[name] * weights[name] for name in COMPONENTS))


def partner_distance(lead: LeadProfile, partner: PartnerProfile) -> float | None:
    """Kilometres between lead and partner, by the same formula the ranking uses."""
    if lead.lat is None or lead.lon is None or partner.lat is None or partner.lon is None:
        return None
    lats = np.radians(np.array([partner.lat], dtype=np.float64))
    lons = np.radians(np.array([partner.lon], dtype=np.float64))
    return float(haversine_km(lead.lat, lead.lon, lats, lons)[0])


def components(
    lead: LeadProfile, partner: PartnerProfile, rules: Rules, recent: Recent = NO_RECENT
) -> dict[str, float]:
    """One partner's score components, in :data:`COMPONENTS` order."""
    km = partner_distance(lead, partner)
    levels = np.array(
        [[rules.level_of(partner.certifications, line)] for line in rules.lead_lines(lead)],
        dtype=np.float64,
    ).reshape(-1, 1)
    return {
        "distance": float(distance_component(np.nan if km is None else km, rules.max_distance_km)),
        "tier": rules.tier_component(partner.tier),
        "certification": float(certification_component(levels, len(rules.levels))[0]),
        "conversion": float(conversion_component(partner.won, partner.closed, rules)),
        "load": float(load_component(partner.open_leads, partner.max_open_leads)),
        "fairness": float(fairness_component(recent.offers, recent.wins, partner.max_open_leads)),
    }
