"""Pipeline and campaign-ROI figures for staff: computed from leads, never from chat state."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

from sqlalchemy import select

from bot.leads.lifecycle import OWNED
from bot.models import Lead, LeadStatus, Partner
from bot.uow import UnitOfWork


@dataclass
class PartnerRow:
    partner_id: str
    name: str
    open: int = 0
    won: int = 0
    lost: int = 0
    revenue_eur: Decimal = Decimal(0)
    claim_minutes: list[float] = field(default_factory=list)

    @property
    def conversion(self) -> float | None:
        closed = self.won + self.lost
        return self.won / closed if closed else None

    @property
    def median_claim_minutes(self) -> float | None:
        return median(self.claim_minutes) if self.claim_minutes else None


@dataclass
class CampaignRow:
    campaign: str
    leads: int = 0
    claimed: int = 0
    won: int = 0
    lost: int = 0
    revenue_eur: Decimal = Decimal(0)
    cost_eur: float | None = None

    @property
    def conversion(self) -> float | None:
        closed = self.won + self.lost
        return self.won / closed if closed else None

    @property
    def roi(self) -> float | None:
        """(revenue - cost) / cost, when the campaign's cost is configured."""
        if not self.cost_eur:
            return None
        return (float(self.revenue_eur) - self.cost_eur) / self.cost_eur


@dataclass
class PipelineReport:
    by_status: dict[str, int]
    partners: list[PartnerRow]
    campaigns: list[CampaignRow]
    total: int

    @property
    def open_leads(self) -> int:
        return sum(self.by_status.get(s.value, 0) for s in OWNED)


async def pipeline(uow: UnitOfWork) -> PipelineReport:
    leads = (await uow.session.scalars(select(Lead))).all()
    partners = {p.id: p.name for p in (await uow.session.scalars(select(Partner))).all()}
    costs = uow.settings.reports.campaign_costs
    by_status: dict[str, int] = defaultdict(int)
    partner_rows: dict[str, PartnerRow] = {}
    campaign_rows: dict[str, CampaignRow] = {}
    for lead in leads:
        by_status[lead.status.value] += 1
        name = lead.campaign or "(none)"
        campaign = campaign_rows.setdefault(name, CampaignRow(name, cost_eur=costs.get(name)))
        campaign.leads += 1
        if lead.claimed_at is not None or lead.status in (LeadStatus.WON, LeadStatus.LOST):
            campaign.claimed += 1
        if lead.owner_partner_id is None:
            continue
        row = partner_rows.setdefault(
            lead.owner_partner_id,
            PartnerRow(
                lead.owner_partner_id, partners.get(lead.owner_partner_id, lead.owner_partner_id)
            ),
        )
        if lead.status in OWNED:
            row.open += 1
        if lead.claimed_at and lead.offered_at:
            row.claim_minutes.append((lead.claimed_at - lead.offered_at).total_seconds() / 60)
        if lead.status is LeadStatus.WON:
            row.won += 1
            campaign.won += 1
            row.revenue_eur += lead.revenue_eur or 0
            campaign.revenue_eur += lead.revenue_eur or 0
        elif lead.status is LeadStatus.LOST:
            row.lost += 1
            campaign.lost += 1
    return PipelineReport(
        by_status=dict(by_status),
        partners=sorted(partner_rows.values(), key=lambda r: (-r.won, -r.open, r.name)),
        campaigns=sorted(campaign_rows.values(), key=lambda r: (-r.revenue_eur, r.campaign)),
        total=len(leads),
    )
