"""The matching index of the directory, built once and reused while nothing it uses changed.

Building the index ranks every partner in one numpy pass; it depends on the directory
(:mod:`bot.directory.snapshot`) and on each partner's open leads and outcomes. One cheap
statement — the stamp — tells whether any of that changed since the index was built, so a
bulk import or a burst of API leads ranks every lead against the same index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select, true

from bot.directory.availability import local_today
from bot.directory.partner_counts import open_lead_counts, outcome_counts
from bot.directory.snapshot import INDEX_CACHE, TRANSACTION_STAMP, directory_state, static_partners
from bot.matching.index import PartnerIndex, index_for
from bot.matching.rules import rules_for
from bot.models import Lead, Partner
from bot.uow import UnitOfWork


def _stamp_query() -> Select[Any]:
    owned = (
        select(func.count().label("leads"), func.max(Lead.change_seq).label("seq"))
        .where(Lead.owner_partner_id.is_not(None))
        .subquery()
    )
    directory = select(
        func.count(Partner.id).label("partners"), func.max(Partner.updated_at).label("latest")
    ).subquery()
    return select(directory.c.partners, directory.c.latest, owned.c.leads, owned.c.seq).select_from(
        directory.join(owned, true())  # one row each: no join condition
    )


_STAMP = _stamp_query()  # built once: it runs for every lead


async def _state_stamp(uow: UnitOfWork) -> tuple[Any, ...]:
    """A key that changes whenever the matching index could: one cheap statement.

    The index depends on the directory and on each partner's open leads and outcomes, i.e.
    on the (owner, status) of every lead that has an owner. Every change of a lead takes a
    new, larger ``change_seq`` at its commit (:mod:`bot.crm.changes`), so the number of
    leads with an owner and their largest ``change_seq`` change whenever that set does:
    a lead that gains an owner or changes while owned raises the maximum; one that only
    loses its owner lowers the count. Only committed changes are seen — callers use this
    key only while their own unit of work changed no existing lead.
    """
    row = (await uow.session.execute(_STAMP)).one()
    return ("stamp", *row)


async def _transaction_stamp(uow: UnitOfWork) -> tuple[Any, ...]:
    """:func:`_state_stamp`, read once per transaction while it changes no partner.

    A batch of API leads or an import matches many leads in one transaction; they create
    leads without owners, which the stamp does not count, so one read serves them all.
    On SQLite the transaction holds the write lock: nobody else commits meanwhile. On
    PostgreSQL a claim another process commits during the batch is seen from the next
    transaction on — as if the batch had run a few milliseconds earlier (a claim checks
    the partner's capacity itself)."""
    session = uow.session.sync_session
    transaction = session.get_transaction()
    held = session.info.get(TRANSACTION_STAMP)
    if held is not None and held[0] is transaction:
        return held[1]  # type: ignore[no-any-return]
    stamp = await _state_stamp(uow)
    session.info[TRANSACTION_STAMP] = (session.get_transaction(), stamp)
    return stamp


async def partner_index(uow: UnitOfWork) -> PartnerIndex:
    """The matching index of the directory as it is now, reused while nothing changed.

    Between two claims or closes (e.g. during a bulk import or a burst of API leads)
    every lead is ranked against the same index instead of rebuilding it per lead. When
    this unit of work itself changed existing leads (a hand-back that re-offers, a wave
    expiring after a claim), the key is computed from the counts it sees instead, which
    include its uncommitted changes.
    """
    today = local_today(uow)  # pauses end by the local day; part of the key: an end passes
    rules = rules_for(uow.settings)
    if uow.changes.changed_existing():
        open_counts = await open_lead_counts(uow)
        outcomes = await outcome_counts(uow)
        directory_key, _static = await static_partners(uow)
        key: tuple[Any, ...] = (
            directory_key,
            today,
            frozenset(open_counts.items()),
            frozenset(outcomes.items()),
        )
    else:
        key = (await _transaction_stamp(uow), today)
    cached = uow.cache.get(INDEX_CACHE)
    if cached is not None and cached[0] == key and cached[1].rules is rules:
        return cached[1]  # type: ignore[no-any-return]
    _key, profiles = await directory_state(uow)
    index = index_for(profiles, rules)
    uow.cache[INDEX_CACHE] = (key, index)
    return index
