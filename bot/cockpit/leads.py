"""The cockpit's lead list (filtered, paged, newest first) and one lead's page data.

The list shows only non-identifying facts, so it (and its CSV) can be handed around; a
lead's own page adds the prospect's personal data for staff — unless the lead was erased,
in which case there is none left to show (``erase`` deleted the row and scrubbed the
free text from the audit trail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.i18n import t
from bot.models import Lead, LeadEvent, LeadPersonalData, LeadStatus, Partner
from bot.plaintext import bad_character, quoted, refused_character, shortened
from bot.reports.aggregation import effective_status
from bot.reports.export import euros
from bot.reports.model import OPEN_GROUPS
from bot.reports.period import Period

PAGE_SIZE = 50
STATUS_FILTERS = tuple(s.value for s in LeadStatus) + tuple(OPEN_GROUPS) + ("open",)


FIELD_LABELS = {
    "status": "report.column.status",
    "campaign": "report.column.campaign",
    "partner": "report.column.partner",
    "page": "filters.page_label",
}
"""Each filter's label on the page (the list's form: Status, Kampagne, Partner; the pager's
Seite), by which a refusal names it in the reader's language."""

MAX_PAGE = 100_000


class FilterError(InvalidInput, ValueError):
    """A lead-list filter that cannot be used; the message names it (English, by its query
    parameter), its key says it in the cockpit reader's language (``filters.*``), naming
    the filter by its label on the page (``Kampagne: …``, not ``campaign: …``)."""

    def __init__(self, message: str, *, field: str, key: str, **params: Any) -> None:
        super().__init__(message, key=key, **params)
        self.field = field

    def said(self, language: str) -> str:
        field = t(language, FIELD_LABELS[self.field])
        return t(language, self.key or "", field=field, **self.params)


@dataclass(frozen=True)
class LeadFilter:
    status: str = ""  # a status, an open group (on_offer, ...) or "open"
    campaign: str = ""
    partner: str = ""
    page: int = 1

    @classmethod
    def parse(cls, status: str, campaign: str, partner: str, page: str) -> LeadFilter:
        status = status.strip()
        if status and status not in STATUS_FILTERS:
            known = ", ".join(STATUS_FILTERS)
            raise FilterError(
                f"status: {quoted(status)} is not one of {known}",
                field="status",
                key="filters.status",
                value=quoted(status, counted=False),
                known=known,
            )
        return cls(
            status, _text("campaign", campaign)[:200], _text("partner", partner)[:200], _page(page)
        )


def _page(text: str) -> int:
    """The page number: 1 to :data:`MAX_PAGE`. Digits beyond that — ``0``, or
    ``999999999999999999999`` — are a number out of range, not "not a number"."""
    text = text.strip() or "1"
    if not re.fullmatch("[0-9]+", text):  # ASCII digits only, as whole_number
        raise FilterError(
            f"page: {quoted(text)} is not a number",
            field="page",
            key="filters.page",
            value=quoted(text, counted=False),
        )
    digits = text.lstrip("0")
    number = int(digits) if 0 < len(digits) <= len(str(MAX_PAGE)) else None
    if number is None or number > MAX_PAGE:
        raise FilterError(
            f"page: {quoted(text)} is out of range; use a page from 1 to {MAX_PAGE}",
            field="page",
            key="filters.page_range",
            value=shortened(text),
            last=MAX_PAGE,
        )
    return number


def whole_number(text: str, max_digits: int) -> int | None:
    """``text`` as a number if it is 1 to ``max_digits`` ASCII digits, else None.

    Not ``int()`` or ``str.isdigit()``: they take ``"١"`` (Arabic-Indic one) and ``"1_0"``,
    and ``isdigit()`` even ``"²"``, which ``int()`` then refuses.
    """
    return int(text) if re.fullmatch(f"[0-9]{{1,{max_digits}}}", text) else None


def _text(name: str, value: str) -> str:
    """A filter value, trimmed; control characters are refused as the lead API refuses them
    (no lead can hold one, and PostgreSQL fails on a NUL byte with a 500)."""
    refused = refused_character(value)
    if refused is not None:
        problem = bad_character(value)
        code = f"U+{ord(refused):04X}"
        raise FilterError(f"{name}: {problem}", field=name, key="filters.character", code=code)
    return value.strip()


@dataclass(frozen=True)
class LeadRow:
    id: int
    created_at: datetime
    status: str
    campaign: str | None
    partner_id: str | None
    partner_name: str | None
    industry: str | None
    region: str | None
    estimated_value_eur: int | None
    revenue_eur: Decimal | None

    def to_json(self) -> dict[str, Any]:
        """The lead's row for the CSV download; money as Decimal, written with two places
        (:func:`bot.reports.export.table_csv`)."""
        return {
            "id": self.id,
            "received": self.created_at.isoformat(),
            "status": self.status,
            "campaign": self.campaign,
            "partner_id": self.partner_id,
            "industry": self.industry,
            "region": self.region,
            "estimated_value_eur": euros(self.estimated_value_eur),
            "revenue_eur": euros(self.revenue_eur),
        }


LEAD_HEADER = list(LeadRow(0, datetime.min, "", None, None, None, None, None, None, None).to_json())


def _conditions(period: Period, wanted: LeadFilter) -> list[Any]:
    lower, upper = period.bounds()
    found: list[Any] = [Lead.created_at >= lower, Lead.created_at < upper]
    status = effective_status()
    if wanted.status == "open":
        found.append(status.in_([s for group in OPEN_GROUPS.values() for s in group]))
    elif wanted.status in OPEN_GROUPS:
        found.append(status.in_(OPEN_GROUPS[wanted.status]))
    elif wanted.status:
        found.append(status == wanted.status)
    if wanted.campaign:
        found.append(Lead.campaign == wanted.campaign)
    if wanted.partner:
        # The partner's id or its name: the list and the partners page show names, and
        # staff type what they read there.
        named = select(Partner.id).where(Partner.name == wanted.partner)
        found.append(or_(Lead.owner_partner_id == wanted.partner, Lead.owner_partner_id.in_(named)))
    return found


async def partner_names(session: AsyncSession) -> list[str]:
    """Every partner's name, for the filter's suggestions."""
    return list(await session.scalars(select(Partner.name).distinct().order_by(Partner.name)))


async def lead_rows(
    session: AsyncSession, period: Period, wanted: LeadFilter, *, everything: bool = False
) -> tuple[list[LeadRow], int]:
    """One page of matching leads (all of them with ``everything``) and how many match."""
    where = and_(*_conditions(period, wanted))
    total = int(await session.scalar(select(func.count()).select_from(Lead).where(where)) or 0)
    query = (
        select(
            Lead.id,
            Lead.created_at,
            effective_status().label("status"),
            Lead.campaign,
            Lead.owner_partner_id,
            Partner.name,
            Lead.industry,
            Lead.region,
            Lead.estimated_value_eur,
            Lead.revenue_eur,
        )
        .outerjoin(Partner, Partner.id == Lead.owner_partner_id)
        .where(where)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    if not everything:
        query = query.limit(PAGE_SIZE).offset((wanted.page - 1) * PAGE_SIZE)
    rows = (await session.execute(query)).all()
    return [LeadRow(*row) for row in rows], total


@dataclass(frozen=True)
class LeadPage:
    lead: Lead
    partner_name: str | None
    personal: LeadPersonalData | None  # None once erased (or for a lead without any)
    events: list[LeadEvent]


async def lead_page(session: AsyncSession, lead_id: int) -> LeadPage | None:
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return None
    personal = None
    if lead.status is not LeadStatus.ERASED and lead.erased_at is None:
        personal = await session.get(LeadPersonalData, lead.id)
    partner = await session.get(Partner, lead.owner_partner_id) if lead.owner_partner_id else None
    events = (
        await session.scalars(
            select(LeadEvent)
            .where(LeadEvent.lead_id == lead.id)
            .order_by(LeadEvent.at, LeadEvent.id)
        )
    ).all()
    return LeadPage(lead, partner.name if partner else None, personal, list(events))
