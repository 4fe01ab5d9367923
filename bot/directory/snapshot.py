"""The partner directory as matching sees it, cached per process.

Reading and decoding the whole partner directory for every lead would dominate the cost of
matching, so the static part of the directory is cached per process and reused until a
partner changes (this process: at once, via a flush hook; other processes: via the
partners' count and latest ``updated_at``). What changes with every claim and close — open
leads and outcomes (:mod:`bot.directory.partner_counts`) — is counted fresh and combined
with it into :class:`~bot.matching.PartnerProfile` s. The matching index built from these
profiles is cached on top of them (:mod:`bot.directory.index_cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.directory.availability import is_paused, local_today
from bot.directory.partner_counts import open_lead_counts, outcome_counts
from bot.directory.pause_causes import cause_words
from bot.geo import locate
from bot.matching import PartnerProfile
from bot.models import Partner
from bot.plaintext import one_line
from bot.uow import UnitOfWork

_PROFILE_COLUMNS = (
    Partner.id,
    Partner.name,
    Partner.tier,
    Partner.certifications,
    Partner.country,
    Partner.postal_code,
    Partner.lat,
    Partner.lon,
    Partner.service_radius_km,
    Partner.regions,
    Partner.segments,
    Partner.products,
    Partner.max_open_leads,
    Partner.active,
    Partner.on_leave_until,
    Partner.paused_at,
    Partner.pause_reason,
    Partner.pause_cause,
)


@dataclass(frozen=True)
class _StaticPartner:
    """What matching needs of a partner that changes only when the directory changes."""

    row: Any
    lat: float | None
    lon: float | None


DIRECTORY_CACHE = "matching.directory"
# Derived from the directory, so forgotten with it by the flush hook below; kept by
# bot.directory.index_cache (the index in the runtime's cache, the stamp in the session's).
INDEX_CACHE = "matching.index"
TRANSACTION_STAMP = "matching.stamp"


@event.listens_for(Session, "before_flush")
def _forget_directory_on_change(session: Session, _context: Any, _instances: Any) -> None:
    """A partner written in this process invalidates the snapshot at once.

    Other processes notice through the (count, latest ``updated_at``) key.
    """
    info = session.info
    cache = info.get("cache")
    if (cache is None or DIRECTORY_CACHE not in cache) and TRANSACTION_STAMP not in info:
        return
    if any(isinstance(o, Partner) for o in (*session.new, *session.dirty, *session.deleted)):
        info.pop(TRANSACTION_STAMP, None)
        if cache is not None:
            cache.pop(DIRECTORY_CACHE, None)
            cache.pop(INDEX_CACHE, None)


async def static_partners(uow: UnitOfWork) -> tuple[Any, list[_StaticPartner]]:
    """The directory rows, cached per process until a partner is added or changed.

    Reading and decoding every partner (JSON columns, postal-code placement) dominates
    the cost of matching one lead; the directory changes rarely, so it is read again only
    when the number of partners or their latest ``updated_at`` differs.
    """
    count, latest = (
        await uow.session.execute(select(func.count(Partner.id), func.max(Partner.updated_at)))
    ).one()
    key = (count, latest)
    cached = uow.cache.get(DIRECTORY_CACHE)
    if cached is not None and cached[0] == key:
        return key, cached[1]
    rows = await uow.session.execute(select(*_PROFILE_COLUMNS).order_by(Partner.id))
    static = []
    for p in rows.all():
        lat, lon = p.lat, p.lon
        if (lat is None or lon is None) and p.postal_code:
            place = locate(p.country, p.postal_code)
            lat, lon = place.lat, place.lon
        static.append(_StaticPartner(p, lat, lon))
    uow.cache[DIRECTORY_CACHE] = (key, static)
    return key, static


def _pause_reason(row: Any) -> str | None:
    """A pause's reason in English for the explanation's data (``--json``): as typed — on one
    line, even if stored with a break — or the words of its cause."""
    if row.pause_reason:
        return one_line(row.pause_reason)
    return cause_words(row.pause_cause, "en") if row.pause_cause else None


async def partner_profiles(uow: UnitOfWork) -> list[PartnerProfile]:
    """Every partner as matching sees it now: load, leave, pause, outcomes."""
    return (await directory_state(uow))[1]


async def directory_state(uow: UnitOfWork) -> tuple[Any, list[PartnerProfile]]:
    """The partner profiles and a key that changes whenever any of them would.

    The static part comes from a per-process snapshot (see :func:`static_partners`);
    open leads and outcomes are counted fresh for every call. A partner without
    coordinates is placed at its postal code's centroid (offline).
    """
    today = local_today(uow)
    open_counts = await open_lead_counts(uow)
    outcomes = await outcome_counts(uow)
    directory_key, static = await static_partners(uow)
    key = (directory_key, today, frozenset(open_counts.items()), frozenset(outcomes.items()))
    profiles = []
    for item in static:
        p = item.row
        paused = is_paused(p, today)
        on_leave = (
            p.paused_at is None and p.on_leave_until is not None and p.on_leave_until >= today
        )
        won, closed = outcomes.get(p.id, (0, 0))
        profiles.append(
            PartnerProfile(
                id=p.id,
                name=p.name,
                tier=p.tier,
                certifications=dict(p.certifications or {}),
                country=p.country,
                postal_code=p.postal_code,
                lat=item.lat,
                lon=item.lon,
                service_radius_km=p.service_radius_km,
                regions=tuple(p.regions or ()),
                segments=tuple(p.segments or ()),
                products=tuple(p.products or ()),
                max_open_leads=p.max_open_leads,
                open_leads=open_counts.get(p.id, 0),
                active=p.active,
                on_leave=on_leave,
                paused=paused,
                won=won,
                closed=closed,
                on_leave_until=p.on_leave_until if on_leave or paused else None,
                pause_reason=_pause_reason(p) if paused else None,
                pause_cause=p.pause_cause if paused and p.pause_cause else None,
            )
        )
    return key, profiles
