"""What each partner got lately: the input of fairness and of the waited-longest tie-break.

Per partner, its offers in the last ``[matching] fairness_days``, the leads it claimed in
that time and the moment of its latest offer. Read for every lead that is matched, so
the statements are built once, and a lead's matching asks only about the partners that
passed its filters (:func:`bot.directory.snapshot.decide`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, select

from bot.matching import Recent
from bot.models import Lead, Offer
from bot.uow import UnitOfWork

RECENT_BY_ID_LIMIT = 500
"""Up to this many partners, fairness reads the recent offers of just those partners."""


async def recent_activity(
    uow: UnitOfWork, partner_ids: Collection[str] | None = None
) -> dict[str, Recent]:
    """Per partner, what it got in the last ``[matching] fairness_days``: offers, claimed
    leads and the time of its latest offer (fairness and the waited-longest tie-break).

    ``partner_ids``: only these partners are needed (the ones a lead's ranking scores).
    Reading every partner's recent offers scans every offer of the period, for every lead;
    reading a few partners' uses the (partner, time) index."""
    since = uow.clock.now() - timedelta(days=uow.settings.matching.fairness_days)
    if partner_ids is not None and len(partner_ids) <= RECENT_BY_ID_LIMIT:
        if not partner_ids:
            return {}
        params = {"since": since, "ids": sorted(partner_ids)}
        offers = await uow.session.execute(_RECENT_OFFERS_OF, params)
        wins = dict((await uow.session.execute(_RECENT_WINS_OF, params)).all())
    else:
        offers = await uow.session.execute(_RECENT_OFFERS, {"since": since})
        wins = dict((await uow.session.execute(_RECENT_WINS, {"since": since})).all())
    found: dict[str, Recent] = {}
    for partner_id, count, latest in offers.all():
        last = _aware(latest).timestamp() if latest is not None else None
        found[partner_id] = Recent(int(count), int(wins.pop(partner_id, 0)), last)
    for partner_id, count in wins.items():
        found[str(partner_id)] = Recent(0, int(count), None)
    return found


# Built once: fairness asks for every lead.
_RECENT_OFFERS = (
    select(Offer.partner_id, func.count(), func.max(Offer.created_at))
    .where(Offer.created_at >= bindparam("since", type_=Offer.created_at.type))
    .group_by(Offer.partner_id)
)
_RECENT_WINS = (
    select(Lead.owner_partner_id, func.count())
    .where(
        Lead.claimed_at >= bindparam("since", type_=Lead.claimed_at.type),
        Lead.owner_partner_id.is_not(None),
    )
    .group_by(Lead.owner_partner_id)
)
_RECENT_OFFERS_OF = _RECENT_OFFERS.where(Offer.partner_id.in_(bindparam("ids", expanding=True)))
_RECENT_WINS_OF = _RECENT_WINS.where(Lead.owner_partner_id.in_(bindparam("ids", expanding=True)))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for aggregates; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
