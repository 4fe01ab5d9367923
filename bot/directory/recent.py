"""What each partner got lately: the input of fairness and of the waited-longest tie-break.

Per partner, its offers in the last ``[matching] fairness_days``, the leads it claimed in
that time and the moment of its latest offer. Read for every lead that is matched, so
the statements are built once, and a lead's matching asks only about the partners that
passed its filters (:func:`bot.directory.snapshot.decide`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, event, func, literal, null, select, union_all
from sqlalchemy.orm import Session

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
        if not uow.changes.changed_existing():
            return await _remembered(uow, partner_ids, since)
        rows = await uow.session.execute(_RECENT_OF, {"since": since, "ids": sorted(partner_ids)})
    else:
        rows = await uow.session.execute(_RECENT, {"since": since})
    offers, wins = _tally(rows.all())
    _add_unwritten(uow, offers, since, partner_ids)
    found = {pid: Recent(count, wins.pop(pid, 0), last) for pid, (count, last) in offers.items()}
    found.update((pid, Recent(0, count, None)) for pid, count in wins.items())
    return found


def _tally(rows: Sequence[Row[Any]]) -> tuple[dict[str, tuple[int, float | None]], dict[str, int]]:
    """Per partner (offers in the period, time of the latest) and wins, from the rows."""
    offers: dict[str, tuple[int, float | None]] = {}
    wins: dict[str, int] = {}
    for partner_id, count, latest, is_win in rows:
        if is_win:
            wins[str(partner_id)] = int(count)
        else:
            offers[partner_id] = (int(count), _aware(latest).timestamp() if latest else None)
    return offers, wins


_MADE = "fairness.made"
"""``session.info``: per partner, the offers this transaction added (count, latest time)."""
_OTHERS = "fairness.others"
"""``session.info``: (transaction, per partner: offers not made by this transaction, the time
of the latest offer, wins) as read in that transaction."""


@event.listens_for(Session, "transient_to_pending")
def _count_made(session: Session, instance: object) -> None:
    if isinstance(instance, Offer) and instance.created_at is not None:
        made = session.info.setdefault(_MADE, {})
        count, latest = made.get(instance.partner_id, (0, None))
        at = _aware(instance.created_at).timestamp()
        made[instance.partner_id] = (count + 1, at if latest is None else max(latest, at))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_made(session: Session, *_args: object) -> None:
    """A transaction ended: the next one counts its own offers (rolled back ones were
    never made) and reads the partners again."""
    session.info.pop(_MADE, None)
    session.info.pop(_OTHERS, None)


async def _remembered(
    uow: UnitOfWork, partner_ids: Collection[str], since: datetime
) -> dict[str, Recent]:
    """:func:`recent_activity` for a unit of work that changes no existing lead (intake):
    each partner is read once per transaction, and the offers the transaction makes are
    counted as they are added.

    A batch of leads or an import asks about the same few partners lead after lead; one
    statement per lead was a tenth of an import's time. Within the transaction the
    partner's wins cannot change (no lead of its is changed here); offers and claims that
    other processes commit meanwhile are seen from the next transaction on — as if the
    batch had run a moment earlier (the same as the matching index,
    :func:`bot.directory.index_cache.partner_index`)."""
    sync = uow.session.sync_session
    transaction = sync.get_transaction()
    held = sync.info.get(_OTHERS)
    if held is None or held[0] is not transaction:
        held = sync.info[_OTHERS] = (transaction, {})
    others: dict[str, tuple[int, float | None, int]] = held[1]
    missing = sorted(set(partner_ids) - others.keys())
    made: dict[str, tuple[int, float | None]] = sync.info.get(_MADE, {})
    if missing:
        with uow.session.no_autoflush:
            rows = await uow.session.execute(_RECENT_OF, {"since": since, "ids": missing})
        offers, wins = _tally(rows.all())
        # The rows include this transaction's offers written so far: take them out, they
        # are counted from ``made`` (written or not).
        pending = Counter(o.partner_id for o in unwritten(uow.session, Offer))
        for pid in missing:
            count, latest = offers.get(pid, (0, None))
            written = made.get(pid, (0, None))[0] - pending[pid]
            others[pid] = (count - written, latest, wins.get(pid, 0))
    found = {}
    for pid in partner_ids:
        count, latest, won = others[pid]
        own, own_latest = made.get(pid, (0, None))
        if own_latest is not None:
            latest = own_latest if latest is None else max(latest, own_latest)
        if count + own or won or latest is not None:
            found[pid] = Recent(count + own, won, latest)
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
