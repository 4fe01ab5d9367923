"""Ranking one lead against the directory: the lead as matching sees it, its exclusions.

What matching needs from the database besides the directory (:mod:`bot.directory.snapshot`,
its index in :mod:`bot.directory.index_cache`): the lead's profile, the partners it must
not go to again, and for fairness the recent offers of the partners that pass the filters.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import select

from bot.directory.index_cache import partner_index
from bot.directory.recent import recent_activity
from bot.geo import locate, normalise_postal_code
from bot.matching import LeadProfile, Ranking
from bot.models import Lead, LeadExclusion, LeadPersonalData, Partner
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
