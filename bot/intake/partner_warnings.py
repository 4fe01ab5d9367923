"""Partners a lead's consent names that are not active partners: a warning, not a refusal.

``consent.allowed_partners`` limits a lead to the partners it names. When one of them is
a typo in the CRM's mapping or a partner not imported yet, the lead is stored all the
same (the consent is the person's, not ours to correct) — but if it then matched nobody,
whoever maintains the mapping should hear why. The API's answer (``warnings``, type
``unknown_partner``) and ``leadbot leads import`` (a warning per lead, counted in the
summary) both say it from here.

Asked only of unmatched leads that name partners, so intake's usual path reads nothing
more; many leads (a file) ask in a few statements, not one per lead.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.intake.problems import FieldProblem
from bot.intake.schema import LeadIn
from bot.models import LeadStatus, Partner
from bot.plaintext import quoted

UNKNOWN_PARTNER = "unknown_partner"
SHOWN = 10
"""Partner ids named in one warning; more are counted ("and 3 more")."""
_IDS_PER_QUERY = 500  # well within every database's limit of bound parameters


def may_warn(lead: LeadIn, status: LeadStatus) -> bool:
    """Whether a warning can apply at all (unmatched, naming partners): callers that open
    a session for one lead ask this first, so a matched lead costs nothing."""
    return status is LeadStatus.UNMATCHED and bool(lead.consent.allowed_partners)


async def unknown_partner_warnings(
    session: AsyncSession, leads: Sequence[tuple[LeadIn, LeadStatus]]
) -> list[FieldProblem | None]:
    """For each stored lead and its status, the warning about the partners its consent
    names that are not active partners — or None (matched, or every partner named is one).
    """
    named = sorted(
        {
            pid
            for lead, status in leads
            if may_warn(lead, status)
            for pid in lead.consent.allowed_partners
        }
    )
    active: set[str] = set()
    for start in range(0, len(named), _IDS_PER_QUERY):
        chunk = named[start : start + _IDS_PER_QUERY]
        # casefold, as matching compares them; partner ids are ASCII, so SQL lower() agrees
        query = select(Partner.id).where(
            func.lower(Partner.id).in_([pid.casefold() for pid in chunk]), Partner.active.is_(True)
        )
        active.update(pid.casefold() for pid in (await session.scalars(query)).all())
    return [_warning(lead, active) if may_warn(lead, status) else None for lead, status in leads]


def _warning(lead: LeadIn, active: set[str]) -> FieldProblem | None:
    unknown = [pid for pid in lead.consent.allowed_partners if pid.casefold() not in active]
    if not unknown:
        return None
    listed = ", ".join(quoted(pid) for pid in unknown[:SHOWN])
    more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
    return FieldProblem(
        ("consent", "allowed_partners"),
        f"{listed}{more}: not an active partner; the lead may go to the partners named "
        "only, and went to none",
        UNKNOWN_PARTNER,
    )
