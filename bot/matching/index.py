"""The fast path: all partners as column arrays, filtered and scored in one numpy pass.

Why: the ranking runs for every lead and every wave, over the whole partner directory.
Per-partner Python objects with a sentence per filter cost about 20 µs a partner, two
seconds at 100,000 partners. Here each filter is one vectorised operation over all
partners (or a lookup in an inverted index: territory, tier, segment, stock), the region
and the score are computed only for the partners the cheap filters left, and only the
eligible partners come back, best first. The per-filter sentences are computed on demand
by :mod:`bot.matching.explain` from ``filters.py``, which states the same rules.

A :class:`PartnerIndex` is a snapshot: build it once per directory state
(:meth:`PartnerIndex.build`) and rank any number of leads against it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from bot.config import Settings
from bot.matching.model import LeadProfile, PartnerProfile, Recent
from bot.matching.ranking import FloatArray, IntArray, Ranking
from bot.matching.rules import COMPONENTS, Rules, normalise_territory, rules_for, territory_keys
from bot.matching.scoring import (
    certification_component,
    conversion_component,
    distance_component,
    fairness_component,
    haversine_km,
    load_component,
)

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
_NONE: IntArray = np.empty(0, dtype=np.int64)


def _positions(groups: dict[str, list[int]]) -> dict[str, IntArray]:
    return {key: np.asarray(rows, dtype=np.int64) for key, rows in groups.items()}


def _floats(values: Iterator[float | None], n: int) -> FloatArray:
    return np.fromiter((np.nan if v is None else v for v in values), np.float64, n)


class Selection(NamedTuple):
    """The partners that pass every filter for one lead: index rows and distances (km)."""

    positions: IntArray
    km: FloatArray


class PartnerIndex:
    """Column arrays and inverted indexes over a fixed list of partner profiles."""

    def __init__(self, partners: Sequence[PartnerProfile], rules: Rules) -> None:
        ps = self.partners = tuple(partners)
        self.rules = rules
        n = self.size = len(ps)
        self.ids = np.array([p.id for p in ps], dtype=object)
        self.position = {p.id: i for i, p in enumerate(ps)}
        # Partner ids are unique regardless of case, and a lead's consent may name them so.
        self.position_folded = {p.id.casefold(): i for i, p in enumerate(ps)}
        self.id_order = np.empty(n, dtype=np.int64)  # tie-break: partner id, ascending
        self.id_order[sorted(range(n), key=lambda i: ps[i].id)] = np.arange(n)

        open_leads = np.fromiter((p.open_leads for p in ps), np.float64, n)
        max_open = self.max_open = np.fromiter((p.max_open_leads for p in ps), np.float64, n)
        available = np.fromiter(
            (p.active and not p.on_leave and not p.paused for p in ps), np.bool_, n
        )
        self.base: BoolArray = available & (open_leads < max_open)

        self.tier_score = np.fromiter((rules.tier_component(p.tier) for p in ps), np.float64, n)
        won = np.fromiter((p.won for p in ps), np.float64, n)
        closed = np.fromiter((p.closed for p in ps), np.float64, n)
        self.conversion = conversion_component(won, closed, rules)
        self.load = load_component(open_leads, max_open)

        lat = _floats((p.lat for p in ps), n)
        lon = _floats((p.lon for p in ps), n)
        self.lat_r = np.radians(lat)
        self.lon_r = np.radians(lon)
        self.radius = _floats((p.service_radius_km for p in ps), n)
        has_position = ~np.isnan(lat) & ~np.isnan(lon)
        self.uses_radius: BoolArray = has_position & ~np.isnan(self.radius)

        territory: dict[str, list[int]] = defaultdict(list)
        home: dict[str, list[int]] = defaultdict(list)
        tiers: dict[str, list[int]] = defaultdict(list)
        segments: dict[str, list[int]] = defaultdict(list)
        stock: dict[str, list[int]] = defaultdict(list)
        self.all_segments = np.zeros(n, dtype=np.bool_)
        self.levels: dict[str, np.ndarray[Any, np.dtype[np.int8]]] = {}
        for i, p in enumerate(ps):
            if p.regions:
                for key in {normalise_territory(t) for t in p.regions}:
                    territory[key].append(i)
            else:
                home[p.country.strip().upper()].append(i)
            tiers[p.tier.strip().lower()].append(i)
            served = {s.strip().lower() for s in p.segments if s.strip()}
            if served:
                for s in served:
                    segments[s].append(i)
            else:
                self.all_segments[i] = True
            for product in set(p.products):
                stock[product].append(i)
            for line, level in p.certifications.items():
                key = line.strip().lower()
                if key not in self.levels:
                    self.levels[key] = np.full(n, -1, dtype=np.int8)
                rank = rules.level_rank.get(str(level).strip().lower(), -1)
                self.levels[key][i] = max(int(self.levels[key][i]), rank)
        self.by_territory = _positions(territory)
        self.home_country = _positions(home)
        self.by_tier = _positions(tiers)
        self.by_segment = _positions(segments)
        self.by_stock = _positions(stock)

    @classmethod
    def build(cls, partners: Sequence[PartnerProfile], settings: Settings) -> PartnerIndex:
        return cls(partners, rules_for(settings))

    def __len__(self) -> int:
        return self.size

    def _any_of(self, groups: dict[str, IntArray], keys: Collection[str]) -> BoolArray:
        mask = np.zeros(self.size, dtype=np.bool_)
        for key in keys:
            mask[groups.get(key, _NONE)] = True
        return mask

    def _filters(self, lead: LeadProfile, excluded: Collection[str]) -> BoolArray:
        """Every filter except the region, as one mask over all partners."""
        rules = self.rules
        ok = self.base.copy()
        if lead.allowed_partners:
            folded = self.position_folded
            allowed = [
                folded[p.casefold()] for p in lead.allowed_partners if p.casefold() in folded
            ]
            mask = np.zeros(self.size, dtype=np.bool_)
            mask[np.asarray(allowed, dtype=np.int64)] = True
            ok &= mask
        if lead.allowed_tiers:
            ok &= self._any_of(self.by_tier, {t.strip().lower() for t in lead.allowed_tiers})
        gone = [self.position[p] for p in excluded if p in self.position]
        if gone:
            ok[np.asarray(gone, dtype=np.int64)] = False
        segment = rules.segment(lead)
        if segment.restricts:
            served = self.all_segments.copy()
            if segment.name:
                served[self.by_segment.get(segment.name, _NONE)] = True
            ok &= served
        for req in rules.requirements(lead):
            if req.line is None and rules.refuse_unknown_products:
                ok[:] = False
                continue
            if req.line is not None and rules.require_certification:
                levels = self.levels.get(req.line)
                if levels is None:
                    ok[:] = False
                else:
                    ok &= levels >= req.min_level
            if rules.require_stock:
                ok &= self._any_of(self.by_stock, (req.product,))
        return ok

    def _recent(self, recent: Mapping[str, Recent]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Recent offers, wins and last-offer times as arrays over the index's rows."""
        offers = np.zeros(self.size)
        wins = np.zeros(self.size)
        last = np.full(self.size, -np.inf)  # never offered lately: waited longest
        for partner_id, seen in recent.items():
            i = self.position.get(partner_id)
            if i is not None:
                offers[i], wins[i] = seen.offers, seen.wins
                last[i] = -np.inf if seen.last_offer is None else seen.last_offer
        return offers, wins, last

    def select(self, lead: LeadProfile, excluded: Collection[str] = frozenset()) -> Selection:
        """The partners that pass every filter for ``lead`` (region included), unordered.

        What :meth:`rank` scores: the caller can read what scoring needs about just these
        partners (their recent offers, :func:`bot.directory.lead_ranking.decide`) first."""
        if not self.size or not lead.consent_partner_contact:
            return Selection(_NONE, np.empty(0))
        candidates = np.flatnonzero(self._filters(lead, excluded))
        if not len(candidates):
            return Selection(_NONE, np.empty(0))
        in_territory = self._any_of(self.by_territory, territory_keys(lead))
        country = (lead.country or "").strip().upper()
        if country:
            in_territory[self.home_country.get(country, _NONE)] = True
        if lead.lat is not None and lead.lon is not None:
            km = haversine_km(lead.lat, lead.lon, self.lat_r[candidates], self.lon_r[candidates])
            with np.errstate(invalid="ignore"):
                within = km <= self.radius[candidates]
            region_ok = np.where(self.uses_radius[candidates], within, in_territory[candidates])
        else:
            km = np.full(len(candidates), np.nan)
            region_ok = in_territory[candidates]
        return Selection(candidates[region_ok], km[region_ok])

    def selected_ids(self, selection: Selection) -> list[str]:
        return self.ids[selection.positions].tolist()  # type: ignore[no-any-return]

    def rank(
        self,
        lead: LeadProfile,
        excluded: Collection[str] = frozenset(),
        recent: Mapping[str, Recent] | None = None,
        selection: Selection | None = None,
    ) -> Ranking:
        """The partners eligible for ``lead``, best score first; ties: who waited longest
        since their last offer, then partner id. ``selection``: :meth:`select` of the same
        lead and exclusions, if the caller made it already; ``recent`` is read for the
        selected partners only."""
        rules = self.rules
        chosen, km = selection if selection is not None else self.select(lead, excluded)
        if not len(chosen):
            return Ranking(self.ids, _NONE, np.empty(0), np.empty((0, len(COMPONENTS))), self.size)

        parts = np.empty((len(chosen), len(COMPONENTS)), dtype=np.float64)
        parts[:, 0] = distance_component(km, rules.max_distance_km)
        parts[:, 1] = self.tier_score[chosen]
        missing = np.full(len(chosen), -1, dtype=np.int8)
        levels = [
            self.levels[line][chosen] if line in self.levels else missing
            for line in rules.lead_lines(lead)
        ]
        stacked = np.stack(levels) if levels else np.empty((0, len(chosen)))
        parts[:, 2] = certification_component(stacked, len(rules.levels))
        parts[:, 3] = self.conversion[chosen]
        parts[:, 4] = self.load[chosen]
        offers, wins, last = self._recent(recent or {})
        parts[:, 5] = fairness_component(offers[chosen], wins[chosen], self.max_open[chosen])
        # Summed column by column in COMPONENTS order, like scoring.total: equal components
        # give bit-equal scores, so ties fall to the partner id as documented.
        scores = np.zeros(len(chosen), dtype=np.float64)
        for k, name in enumerate(COMPONENTS):
            scores = scores + parts[:, k] * rules.weights[name]
        order = np.lexsort((self.id_order[chosen], last[chosen], -scores))
        return Ranking(self.ids, chosen[order], scores[order], parts[order], self.size)


def index_for(partners: Sequence[PartnerProfile] | PartnerIndex, rules: Rules) -> PartnerIndex:
    """Reuse a prebuilt index when it was built with these rules, else build one."""
    if isinstance(partners, PartnerIndex):
        return partners if partners.rules is rules else PartnerIndex(partners.partners, rules)
    return PartnerIndex(partners, rules)
