"""Campaign costs: from ``[reports] campaign_costs`` and from ``leadbot campaigns import``.

An imported cost overrides the configured one for the same campaign (the file is the
newer word). A cost for a campaign that no lead ever named is almost always a typo, so it
is reported as a warning wherever costs are shown — at import, in ``leadbot report`` and
on the cockpit's campaigns page — instead of silently producing no ROI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.directory.service import ImportSummary
from bot.directory.table import Problem, read_table
from bot.models import CampaignCost
from bot.plaintext import quoted
from bot.reports.cohort import known_campaigns
from bot.reports.model import unknown_cost_warning

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


async def unknown_cost_campaigns(session: AsyncSession, costs: dict[str, Decimal]) -> list[str]:
    """The campaigns with a cost that no lead has ever named, sorted."""
    known = await known_campaigns(session, sorted(costs))
    return [name for name in sorted(costs) if name not in known]


async def unknown_cost_warnings(session: AsyncSession, costs: dict[str, Decimal]) -> list[str]:
    """One warning per cost whose campaign no lead has ever named (English: the CLI)."""
    return [unknown_cost_warning(n) for n in await unknown_cost_campaigns(session, costs)]


@dataclass(frozen=True)
class CostRow:
    line: int
    campaign: str
    cost_eur: Decimal


_AMOUNT = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,2})?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:[.,' ][0-9]{3})+(?:[.,][0-9]{1,2})?")
_TOO_MANY_DIGITS = re.compile(r"[0-9]{13,}(?:[.,][0-9]{1,2})?")
AMOUNT_FORMS = "e.g. 25000, 25000.50 or 25000,50"


def parse_amount(text: str) -> Decimal:
    """A cost in euros as a spreadsheet writes it: ``25000``, ``25000.5``, ``25000,50``.

    One separator followed by one or two digits is the decimal mark, point or comma. Three
    digits after it (``25.000``, ``25,000``) are thousands to a German or English reader
    alike, so such a value is refused as ambiguous rather than read as 25 €; so is anything
    with more than two decimals, a sign or an exponent. Raises ValueError saying which.
    """
    if _AMOUNT.fullmatch(text):
        return Decimal(text.replace(",", ".")).quantize(Decimal("0.01"))
    if _TOO_MANY_DIGITS.fullmatch(text):
        raise ValueError(f"{quoted(text)} is too large: at most 12 digits before the decimal mark")
    if _GROUPED.fullmatch(text):
        raise ValueError(
            f"{quoted(text)} is ambiguous (a thousands separator?); write euros without "
            f"thousands separators, {AMOUNT_FORMS}"
        )
    raise ValueError(
        f"{quoted(text)} is not an amount in euros (digits with at most two decimals after a "
        f"point or comma, {AMOUNT_FORMS})"
    )


def parse_costs(data: bytes) -> tuple[list[CostRow], list[Problem]]:
    """Rows of a ``campaign,cost_eur`` CSV and every problem of every line (nothing is
    imported from a file with problems).

    Read like the directory and lead files (:func:`bot.directory.table.read_table`): UTF-8
    or UTF-16 with a BOM, ``,``/``;``/tab decided from the header, header names in any
    case and order, cells trimmed of white space and invisible characters (a campaign name
    must match the one leads carry, which the lead contract trims the same way), control
    characters refused per cell, and the file's own line numbers.
    """
    table, problems = read_table(data, COLUMNS)
    if table is None:
        return [], problems
    rows: list[CostRow] = []
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        found: list[Problem] = []
        campaign, amount = cells.get("campaign", ""), cells.get("cost_eur", "")
        refused = table.refused_in(line)  # reported already, once, for its character
        if "campaign" not in refused:
            if not campaign:
                found.append(Problem(line, "required", "campaign"))
            elif len(campaign) > MAX_NAME:
                found.append(Problem(line, f"longer than {MAX_NAME} characters", "campaign"))
            elif campaign in seen:
                message = f"{quoted(campaign)} appears twice (first on line {seen[campaign]})"
                found.append(Problem(line, message, "campaign"))
            else:
                seen[campaign] = line
        cost: Decimal | None = None
        if "cost_eur" not in refused:
            try:
                if not amount:
                    raise ValueError("required")
                cost = parse_amount(amount)
            except ValueError as exc:
                found.append(Problem(line, str(exc), "cost_eur"))
        problems += found
        if cost is not None and not found and not refused:
            rows.append(CostRow(line, campaign, cost))
    return rows, sorted(problems, key=_order)


def _order(problem: Problem) -> tuple[int, int]:
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else -1
    return (problem.line or 0, column)


async def store_costs(session: AsyncSession, rows: list[CostRow], now: datetime) -> ImportSummary:
    """Insert or replace each campaign's cost (the caller commits, or not: a dry run)."""
    summary = ImportSummary("campaign cost", "campaign costs")
    for row in rows:
        existing = await session.get(CampaignCost, row.campaign)
        if existing is None:
            session.add(CampaignCost(campaign=row.campaign, cost_eur=row.cost_eur, imported_at=now))
            summary.new += 1
        elif existing.cost_eur != row.cost_eur:
            existing.cost_eur = row.cost_eur
            existing.imported_at = now
            summary.updated += 1
        else:
            summary.unchanged += 1
    return summary
