"""Campaign costs: from ``[reports] campaign_costs`` and from ``leadbot campaigns import``.

An imported cost overrides the configured one for the same campaign (the file is the
newer word). A cost for a campaign that no lead ever named is almost always a typo, so it
is reported as a warning wherever costs are shown — at import, in ``leadbot report`` and
on the cockpit's campaigns page — instead of silently producing no ROI.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import CampaignCost
from bot.plaintext import bad_character, quoted
from bot.reports.model import unknown_cost_warning
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


class CostFileError(ValueError):
    """The costs file has errors; ``problems`` names each with its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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


def _campaign_problem(campaign: str) -> str | None:
    """What is wrong with a campaign name (as written in the file), or None."""
    problem = bad_character(campaign)  # a NUL: PostgreSQL cannot store it
    if problem is not None:
        return problem
    if not campaign.strip():
        return "empty"
    if len(campaign.strip()) > MAX_NAME:
        return f"longer than {MAX_NAME} characters"
    return None


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
        campaign = fields[0].strip()
        named = _campaign_problem(fields[0])
        if named is not None:
            problems.append(f"line {number}: campaign: {named}")
        elif campaign in seen:
            problems.append(
                f"line {number}: campaign {quoted(campaign)} already on line {seen[campaign]}"
            )
        try:
            cost = parse_amount(fields[1].strip())
        except ValueError as exc:
            problems.append(f"line {number}: cost_eur: {exc}")
            continue
        if named is None and campaign not in seen:
            seen[campaign] = number
            rows.append(CostRow(number, campaign, cost))
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
