"""What each partner got lately: the input of fairness and of the waited-longest tie-break.

Per partner, its offers in the last ``[matching] fairness_days``, the leads it claimed in
that time and the moment of its latest offer. Read for every lead that is matched, so
the statements are built once, and a lead's matching asks only about the partners that
passed its filters (:func:`bot.directory.snapshot.decide`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, literal, null, select, union_all

from bot.matching import Recent
from bot.models import Lead, Offer
from bot.unwritten import unwritten
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
        rows = await uow.session.execute(_RECENT_OF, {"since": since, "ids": sorted(partner_ids)})
    else:
        rows = await uow.session.execute(_RECENT, {"since": since})
    offers: dict[str, tuple[int, float | None]] = {}
    wins: dict[str, int] = {}
    for partner_id, count, latest, is_win in rows.all():
        if is_win:
            wins[str(partner_id)] = int(count)
        else:
            offers[partner_id] = (int(count), _aware(latest).timestamp() if latest else None)
    _add_unwritten(uow, offers, since, partner_ids)
    found = {pid: Recent(count, wins.pop(pid, 0), last) for pid, (count, last) in offers.items()}
    found.update((pid, Recent(0, count, None)) for pid, count in wins.items())
    return found


# Built once: fairness asks for every lead. Offers and wins in one statement (a round
# trip less per lead); the last column tells the two kinds of row apart.
_RECENT_OFFERS = (
    select(Offer.partner_id, func.count(), func.max(Offer.created_at), literal(False))
    .where(Offer.created_at >= bindparam("since", type_=Offer.created_at.type))
    .group_by(Offer.partner_id)
)
_RECENT_WINS = (
    select(Lead.owner_partner_id, func.count(), null(), literal(True))
    .where(
        Lead.claimed_at >= bindparam("since", type_=Lead.claimed_at.type),
        Lead.owner_partner_id.is_not(None),
    )
    .group_by(Lead.owner_partner_id)
)
_IDS = bindparam("ids", expanding=True)
_RECENT = union_all(_RECENT_OFFERS, _RECENT_WINS)
_RECENT_OF = union_all(
    _RECENT_OFFERS.where(Offer.partner_id.in_(_IDS)),
    _RECENT_WINS.where(Lead.owner_partner_id.in_(_IDS)),
)


def _add_unwritten(
    uow: UnitOfWork,
    offers: dict[str, tuple[int, float | None]],
    since: datetime,
    partner_ids: Collection[str] | None,
) -> None:
    """Count the offers this unit of work made but has not written yet.

    A query flushes them first, unless it ran without autoflush — as it does for leads
    received together (:mod:`bot.intake.together`), whose offers are written every so
    many leads. Either way, what is still pending after the query is what it missed."""
    for obj in unwritten(uow.session, Offer):
        created = obj.created_at or uow.clock.now()  # the default it will be written with
        if created < since or (partner_ids is not None and obj.partner_id not in partner_ids):
            continue
        count, latest = offers.get(obj.partner_id, (0, None))
        at = _aware(created).timestamp()
        offers[obj.partner_id] = (count + 1, at if latest is None else max(latest, at))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for aggregates; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
