"""Which partners may and can serve a lead, and in which order. Pure functions.

* :func:`rank` — the eligible partners for a lead, best first (a :class:`Ranking` of
  :class:`Decision` values with score and score components). Fast: vectorised over a
  :class:`PartnerIndex`, which can be built once and reused for many leads.
* :func:`explain` / :func:`explain_lead` — every hard filter's verdict with a sentence,
  and the score components, for one partner or all of them.
* :func:`plan_waves` / :func:`next_wave` — who goes into which wave.

The rules themselves are in ``filters.py`` (hard filters) and ``scoring.py`` (score);
``docs/matching.md`` describes them for users.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from bot.config import Settings
from bot.matching.explain import (
    LeadExplanation,
    LeadFacts,
    PartnerExplanation,
    explain,
    explain_lead,
)
from bot.matching.filters import FILTERS
from bot.matching.index import PartnerIndex, index_for
from bot.matching.model import Check, Decision, LeadProfile, PartnerProfile, Recent
from bot.matching.ranking import Ranking
from bot.matching.rules import COMPONENTS, rules_for
from bot.matching.waves import next_wave, plan_waves

__all__ = [
    "COMPONENTS",
    "FILTERS",
    "Check",
    "Decision",
    "LeadExplanation",
    "LeadFacts",
    "LeadProfile",
    "PartnerExplanation",
    "PartnerIndex",
    "PartnerProfile",
    "Ranking",
    "Recent",
    "explain",
    "explain_lead",
    "next_wave",
    "plan_waves",
    "rank",
]


def rank(
    lead: LeadProfile,
    partners: Sequence[PartnerProfile] | PartnerIndex,
    excluded: Collection[str],
    settings: Settings,
    recent: Mapping[str, Recent] | None = None,
) -> Ranking:
    """The partners eligible for ``lead``, best score first (ties: partner id ascending).

    ``excluded``: partner ids that returned, declined or were recalled from this lead (a
    mapping id -> reason works too). Pass a prebuilt :class:`PartnerIndex` to rank many
    leads against one directory snapshot without rebuilding it.
    """
    return index_for(partners, rules_for(settings)).rank(lead, excluded, recent)
