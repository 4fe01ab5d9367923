"""Campaign costs: from ``[reports] campaign_costs`` and from ``leadbot campaigns import``.

An imported cost overrides the configured one for the same campaign (the file is the
newer word). A cost for a campaign that no lead ever named is almost always a typo, so it
is reported as a warning wherever costs are shown — at import, in ``leadbot report`` and
on the cockpit's campaigns page — instead of silently producing no ROI.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import CampaignCost
from bot.reports.queries import known_campaigns

COLUMNS = ("campaign", "cost_eur")
MAX_NAME = 200


async def campaign_costs(session: AsyncSession, settings: Settings) -> dict[str, Decimal]:
    """Every known campaign cost: configured ones, overridden by imported ones."""
    costs = {
        name: Decimal(str(cost)).quantize(Decimal("0.01"))
        for name, cost in settings.reports.campaign_costs.items()
    }
    for row in (await session.scalars(select(CampaignCost))).all():
        costs[row.campaign] = Decimal(row.cost_eur)
    return costs


async def unknown_cost_warnings(session: AsyncSession, costs: dict[str, Decimal]) -> list[str]:
    """One warning per cost whose campaign no lead has ever named."""
    known = await known_campaigns(session, sorted(costs))
    return [
        f"campaign cost for {name!r} names no campaign of any lead (typo?)"
        for name in sorted(costs)
        if name not in known
    ]


@dataclass(frozen=True)
class CostRow:
    line: int
    campaign: str
    cost_eur: Decimal


class CostFileError(ValueError):
    """The costs file has errors; ``problems`` names each with its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_costs(text: str) -> list[CostRow]:
    """Rows of a ``campaign,cost_eur`` CSV; raises :class:`CostFileError` listing every bad
    line (nothing is imported from a file with errors)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise CostFileError(["the file is empty; expected the header campaign,cost_eur"])
    names = tuple(h.strip().lower() for h in header)
    if names != COLUMNS:
        raise CostFileError(
            [f"line 1: header must be campaign,cost_eur (found {','.join(header)})"]
        )
    rows: list[CostRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != 2:
            problems.append(f"line {number}: expected 2 fields, found {len(fields)}")
            continue
        campaign, raw = fields[0].strip(), fields[1].strip()
        if not campaign:
            problems.append(f"line {number}: campaign: empty")
        elif len(campaign) > MAX_NAME:
            problems.append(f"line {number}: campaign: longer than {MAX_NAME} characters")
        elif campaign in seen:
            problems.append(
                f"line {number}: campaign {campaign!r} already on line {seen[campaign]}"
            )
        try:
            cost = Decimal(raw)
            if not cost.is_finite() or cost < 0 or cost >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(
                f"line {number}: cost_eur: {raw!r} is not an amount in euros "
                f"(digits with an optional decimal point, e.g. 25000 or 1999.90)"
            )
            continue
        if campaign and campaign not in seen and len(campaign) <= MAX_NAME:
            seen[campaign] = number
            rows.append(CostRow(number, campaign, cost.quantize(Decimal("0.01"))))
    if problems:
        raise CostFileError(problems)
    return rows


async def store_costs(session: AsyncSession, rows: list[CostRow], now: datetime) -> None:
    """Insert or replace each campaign's cost (the caller commits)."""
    for row in rows:
        existing = await session.get(CampaignCost, row.campaign)
        if existing is None:
            session.add(CampaignCost(campaign=row.campaign, cost_eur=row.cost_eur, imported_at=now))
        else:
            existing.cost_eur = row.cost_eur
            existing.imported_at = now
