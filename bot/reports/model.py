"""What a report says, as plain data: the funnel, open pipeline, campaigns, partners, weeks.

The queries (:mod:`bot.reports.cohort`, :mod:`~bot.reports.weeks`,
:mod:`~bot.reports.partner_figures`) fill these; the CLI, the chats, the cockpit and
the digest only render them, so every view of a period shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bot.plaintext import quoted
from bot.reports.period import Period


def unknown_cost_warning(campaign: str) -> str:
    """A campaign cost that names no campaign of any lead, said in English."""
    return f"campaign cost for {quoted(campaign)} names no campaign of any lead (typo?)"


OPEN_GROUPS: dict[str, tuple[str, ...]] = {
    "waiting": ("received", "held", "unmatched", "unclaimed", "returned", "recalled"),
    "on_offer": ("offered",),
    "with_partners": ("claimed", "contacted", "meeting", "proposal"),
}
"""Open leads by who has to act: staff (waiting), the partners' reps (on offer), the owner."""

CLOSED_STATES = ("won", "lost", "erased")


def ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    return float(part) / float(whole) if whole else None


@dataclass(frozen=True)
class Funnel:
    """Of the leads received in the period: how many got how far (ever, not just now)."""

    leads: int = 0
    offered: int = 0
    claimed: int = 0
    contacted: int = 0
    won: int = 0
    lost: int = 0

    @property
    def conversion(self) -> float | None:
        """Won of closed (won + lost)."""
        return ratio(self.won, self.won + self.lost)

    def steps(self) -> list[tuple[str, int, float | None]]:
        """(stage, count, share of the leads received) in funnel order."""
        stages = ("leads", "offered", "claimed", "contacted", "won", "lost")
        return [(s, getattr(self, s), ratio(getattr(self, s), self.leads)) for s in stages]


@dataclass(frozen=True)
class CampaignRow:
    campaign: str | None  # None: leads without a campaign
    leads: int = 0
    offered: int = 0
    claimed: int = 0
    contacted: int = 0
    won: int = 0
    lost: int = 0
    revenue_eur: Decimal = Decimal(0)
    pipeline_eur: Decimal = Decimal(0)
    cost_eur: Decimal | None = None

    @property
    def conversion(self) -> float | None:
        return ratio(self.won, self.won + self.lost)

    @property
    def roi(self) -> float | None:
        """(won revenue − cost) / cost, when the campaign's cost is known and not zero."""
        if not self.cost_eur:
            return None
        return float((self.revenue_eur - self.cost_eur) / self.cost_eur)

    @property
    def cost_per_lead(self) -> Decimal | None:
        if self.cost_eur is None or not self.leads:
            return None
        return (self.cost_eur / self.leads).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class PartnerRow:
    """What a partner did in the period: offers answered, speed, misses, outcomes."""

    partner_id: str
    name: str
    offers: int = 0
    claims: int = 0
    claim_median_minutes: float | None = None
    claim_p90_minutes: float | None = None
    contact_median_minutes: float | None = None
    contact_p90_minutes: float | None = None
    expired: int = 0  # offers that ended unclaimed by anyone (wave over, withdrawn)
    sla_misses: int = 0
    recalls: int = 0
    handbacks: int = 0
    declines: int = 0
    won: int = 0
    lost: int = 0
    revenue_eur: Decimal = Decimal(0)
    open_now: int = 0
    paused: bool = False  # gets no new leads now (paused by staff or after SLA misses)

    @property
    def claim_rate(self) -> float | None:
        return ratio(self.claims, self.offers)

    @property
    def conversion(self) -> float | None:
        return ratio(self.won, self.won + self.lost)


@dataclass(frozen=True)
class WeekRow:
    start: date  # the Monday
    leads: int = 0
    won: int = 0
    revenue_eur: Decimal = Decimal(0)  # won in this week (by the day it was closed)


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    funnel: Funnel
    by_status: dict[str, int]
    """Leads received in the period by their status now (erased ones by outcome if known)."""
    pipeline_eur: Decimal
    revenue_eur: Decimal
    campaigns: list[CampaignRow] = field(default_factory=list)
    partners: list[PartnerRow] = field(default_factory=list)
    weeks: list[WeekRow] = field(default_factory=list)
    unknown_cost_campaigns: list[str] = field(default_factory=list)
    """Campaigns with a cost that no lead has named (a typo in the costs file?). The
    renderers word them in the reader's language (``bot.reports.format.report_warnings``)."""

    @property
    def warnings(self) -> list[str]:
        """The same in English: the CLI's warning lines and the JSON export."""
        return [unknown_cost_warning(name) for name in self.unknown_cost_campaigns]

    @property
    def total(self) -> int:
        return self.funnel.leads

    def group(self, name: str) -> int:
        return sum(self.by_status.get(s, 0) for s in OPEN_GROUPS[name])

    @property
    def open_leads(self) -> int:
        """Every lead not closed: waiting + on offer + with partners."""
        return sum(self.group(name) for name in OPEN_GROUPS)

    @property
    def cost_eur(self) -> Decimal | None:
        costs = [c.cost_eur for c in self.campaigns if c.cost_eur is not None]
        return sum(costs, Decimal(0)) if costs else None

    @property
    def costed_revenue_eur(self) -> Decimal:
        return sum((c.revenue_eur for c in self.campaigns if c.cost_eur), Decimal(0))

    @property
    def roi(self) -> float | None:
        """ROI over the campaigns whose cost is known."""
        cost = self.cost_eur
        if not cost:
            return None
        return float((self.costed_revenue_eur - cost) / cost)
