"""What matching needs from the database: the lead's profile, the directory, exclusions.

Reading and decoding the whole partner directory for every lead would dominate the cost of
matching, so the static part of the directory and the built matching index are cached per
process and reused until a partner changes (this process: at once, via a flush hook; other
processes: via the partners' count and latest ``updated_at``) or the open-lead and outcome
counts change.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, event, func, select, true
from sqlalchemy.orm import Session

from bot.directory.availability import is_paused, local_today
from bot.directory.pause_causes import cause_words
from bot.directory.recent import recent_activity
from bot.geo import locate, normalise_postal_code
from bot.leads.lifecycle import OWNED
from bot.matching import LeadProfile, PartnerProfile, Ranking
from bot.matching.index import PartnerIndex, index_for
from bot.matching.rules import rules_for
from bot.models import Lead, LeadExclusion, LeadPersonalData, LeadStatus, Partner
from bot.plaintext import one_line
from bot.reports.queries import effective_status
from bot.unwritten import any_unwritten
from bot.uow import UnitOfWork


async def lead_profile(
    uow: UnitOfWork, lead: Lead, personal: LeadPersonalData | None = None
) -> LeadProfile:
    """The lead as matching sees it. Region and position are re-derived from the postal
    code when missing (leads stored before the geography data, or without coordinates).

    Intake passes the ``personal`` data it just built: looking it up would flush the
    session and read back the row it is about to write."""
    if personal is None:
        personal = await uow.session.get(LeadPersonalData, lead.id)
    postal_code = normalise_postal_code(lead.country, personal.postal_code if personal else None)
    lat = personal.lat if personal else None
    lon = personal.lon if personal else None
    region = lead.region
    if postal_code and (region is None or lat is None or lon is None):
        place = locate(lead.country, postal_code)
        region = region or place.region
        if lat is None or lon is None:
            lat, lon = place.lat, place.lon
    return LeadProfile(
        lead_id=lead.id,
        country=lead.country,
        region=region,
        postal_code=postal_code,
        lat=lat,
        lon=lon,
        products=tuple(lead.products),
        employees=lead.employees,
        industry=lead.industry,
        consent_partner_contact=lead.consent_partner_contact,
        allowed_partners=frozenset(lead.consent_allowed_partners),
        allowed_tiers=frozenset(lead.consent_allowed_tiers),
        postal_area=lead.postal_area,
    )


async def open_lead_counts(uow: UnitOfWork) -> dict[str, int]:
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


@event.listens_for(Session, "before_flush")
def _forget_directory_on_change(session: Session, _context: Any, _instances: Any) -> None:
    """A partner written in this process invalidates the snapshot at once.

    Other processes notice through the (count, latest ``updated_at``) key.
    """
    info = session.info
    cache = info.get("cache")
    if (cache is None or DIRECTORY_CACHE not in cache) and _TRANSACTION_STAMP not in info:
        return
    if any(isinstance(o, Partner) for o in (*session.new, *session.dirty, *session.deleted)):
        info.pop(_TRANSACTION_STAMP, None)
        if cache is not None:
            cache.pop(DIRECTORY_CACHE, None)
            cache.pop(INDEX_CACHE, None)


async def _static_partners(uow: UnitOfWork) -> tuple[Any, list[_StaticPartner]]:
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
    return (await _directory_state(uow))[1]


async def _directory_state(uow: UnitOfWork) -> tuple[Any, list[PartnerProfile]]:
    """The partner profiles and a key that changes whenever any of them would.

    The static part comes from a per-process snapshot (see :func:`_static_partners`);
    open leads and outcomes are counted fresh for every call. A partner without
    coordinates is placed at its postal code's centroid (offline).
    """
    today = local_today(uow)
    open_counts = await open_lead_counts(uow)
    outcomes = await outcome_counts(uow)
    directory_key, static = await _static_partners(uow)
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


INDEX_CACHE = "matching.index"


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
_TRANSACTION_STAMP = "matching.stamp"


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
    held = session.info.get(_TRANSACTION_STAMP)
    if held is not None and held[0] is transaction:
        return held[1]  # type: ignore[no-any-return]
    stamp = await _state_stamp(uow)
    session.info[_TRANSACTION_STAMP] = (session.get_transaction(), stamp)
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
        directory_key, _static = await _static_partners(uow)
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
    _key, profiles = await _directory_state(uow)
    index = index_for(profiles, rules)
    uow.cache[INDEX_CACHE] = (key, index)
    return index


async def excluded_partners(uow: UnitOfWork, lead_id: int) -> dict[str, str]:
    """Partners that must not get ``lead_id`` again, with the reason (returned, ...)."""
    rows = await uow.session.execute(
        select(LeadExclusion.partner_id, LeadExclusion.reason).where(
            LeadExclusion.lead_id == lead_id
        )
    )
    return {pid: reason for pid, reason in rows.all()}


async def decide(uow: UnitOfWork, lead: Lead, personal: LeadPersonalData | None = None) -> Ranking:
    """Rank every partner for ``lead`` with the current state of the directory.

    The ranking holds the eligible partners only, best first; ``ranking.checked`` is how
    many partners were considered. ``bot.explain.service`` says why for the rest.

    Fairness reads the recent offers of the partners that pass the filters only. A lead
    this unit of work just created (intake) has no exclusions yet, so they are not
    looked up, and the reads skip flushing what the unit of work wrote so far when none of
    it is something they read (see :func:`_reads_need_no_flush`).
    """
    fresh = uow.changes.is_new(lead) and _reads_need_no_flush(uow)
    with uow.session.no_autoflush if fresh else contextlib.nullcontext():
        profile = await lead_profile(uow, lead, personal)
        index = await partner_index(uow)
        excluded = {} if fresh else await excluded_partners(uow, lead.id)
        selection = index.select(profile, excluded)
        recent = (
            await recent_activity(uow, index.selected_ids(selection))
            if uow.settings.matching.fairness > 0
            else {}
        )
        return index.rank(profile, excluded, recent, selection)


_READ_BY_MATCHING = (Partner, LeadExclusion)


def _reads_need_no_flush(uow: UnitOfWork) -> bool:
    """Whether all this unit of work holds unflushed is new rows matching does not read,
    or reads from memory.

    Intake's unflushed rows are the new lead's personal data, events and notices, and —
    for leads received together — the offers of the leads before it, which fairness
    counts from memory (:func:`bot.directory.recent.recent_activity`). A changed lead, a
    partner or an exclusion would change what matching reads, so then the reads flush
    first as usual. Saves one flush per lead.
    """
    session = uow.session.sync_session
    if session.deleted or uow.changes.changed_existing():
        return False
    if any_unwritten(session, *_READ_BY_MATCHING):
        return False
    return not any(isinstance(obj, _READ_BY_MATCHING) for obj in session.dirty)
