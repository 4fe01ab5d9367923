"""Per-partner counts of leads that matching reads fresh for every lead.

The partners' rows are cached (:mod:`bot.directory.snapshot`), but how many leads each
holds open (its capacity) and how its leads ended (its conversion score) change with
every claim and close, so they are counted anew by one aggregate statement each.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.leads.lifecycle import OWNED
from bot.models import Lead, LeadStatus
from bot.reports.aggregation import effective_status
from bot.uow import UnitOfWork


async def open_lead_counts(uow: UnitOfWork) -> dict[str, int]:
    """Per partner: the leads it owns that are still open, for ``max_open_leads``."""
    rows = await uow.session.execute(
        select(Lead.owner_partner_id, func.count())
        .where(Lead.status.in_(OWNED), Lead.owner_partner_id.is_not(None))
        .group_by(Lead.owner_partner_id)
    )
    return {pid: n for pid, n in rows.all() if pid is not None}


_OUTCOME_STATES = (LeadStatus.WON, LeadStatus.LOST, LeadStatus.ERASED)


async def outcome_counts(uow: UnitOfWork) -> dict[str, tuple[int, int]]:
    """Per partner: (won, closed) over all time, for the conversion score.

    Outcomes are read as the reports read them (:func:`effective_status`): erasing a won
    or lost lead removes personal data, not the partner's track record (DESIGN §4). The
    plain ``status`` condition lets the database use its index, which the CASE cannot.
    """
    outcome = effective_status()
    rows = await uow.session.execute(
        select(Lead.owner_partner_id, outcome, func.count())
        .where(
            Lead.status.in_(_OUTCOME_STATES),
            Lead.owner_partner_id.is_not(None),
            outcome.in_(("won", "lost")),
        )
        .group_by(Lead.owner_partner_id, outcome)
    )
    out: dict[str, tuple[int, int]] = {}
    for pid, status, n in rows.all():
        won, closed = out.get(pid, (0, 0))
        out[pid] = (won + (n if status == "won" else 0), closed + n)
    return out
