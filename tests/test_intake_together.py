"""Leads received together (an import, a batch of API leads) end exactly as if received one
by one, each in its own transaction (:mod:`bot.intake.together`).

The same leads go into two fresh databases of the same backend: one lead per transaction
into the first, all of them through ``import_leads`` — the service of ``leadbot leads
import`` — into the second. The file is longer than a flush (so some leads look up what
was written and some what was not yet), and has every case intake looks up: the same
contact e-mail or domain as an earlier lead of the file (across a flush too), an
``external_id`` repeated in the file, one already stored, one of an erased lead, an
erased lead's e-mail, no consent, no partner that fits — and many leads competing for
the same partners, whose order fairness decides from the offers made before. Every
lead's status, hold, offers, audit trail and notices must be the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import Settings
from bot.errors import Gone
from bot.intake.importer import import_leads
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.intake.together import FLUSH_EVERY
from bot.leads.staff import erase
from bot.migrate import upgrade
from bot.models import Channel, Lead, LeadEvent, Offer, OutboxMessage, Timer
from bot.runtime import Runtime
from tests.support.cli import db_session
from tests.support.databases import PostgresDatabases, SqliteDatabases, pg_url
from tests.support.factories import add_partner, lead_payload

ACTOR = Actor.system(Channel.CLI)
LEADS = FLUSH_EVERY * 2 + 30
PARTNERS = {  # id -> tier, region: several fit each lead, so fairness picks who comes first
    "P-GOLD-BY": ("gold", "DE-BY"),
    "P-GOLD-BY2": ("gold", "DE-BY"),
    "P-SILVER-BY": ("silver", "DE-BY"),
    "P-PLAT-DE": ("platinum", "DE"),
    "P-GOLD-NW": ("gold", "DE-NW"),
}


@pytest.fixture
def other_database_url(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A second fresh database of the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        databases: SqliteDatabases = request.getfixturevalue("_sqlite_databases")
        yield databases.create(tmp_path)
        return
    pg: PostgresDatabases = request.getfixturevalue("_pg_databases")
    name = pg.create()
    yield pg_url(name)
    pg.drop(name)


def _lead(n: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "external_id": f"file-{n}",
        "company.name": f"Firma {n} GmbH",
        "company.domain": f"firma-{n}.example",
        "contact.email": f"kontakt@firma-{n}.example",
        "interest.estimated_value_eur": 10_000 + n,
    }
    if n % 3 == 0:  # some in North Rhine-Westphalia, the rest in Bavaria
        fields["company.address.postal_code"] = "50667"
        fields["company.address.city"] = "Köln"
    fields.update(overrides)
    return lead_payload(**fields)


def _file() -> list[dict[str, Any]]:
    leads = [_lead(n) for n in range(LEADS)]
    leads[30] = _lead(30, **{"contact.email": "kontakt@firma-10.example"})  # same contact
    leads[FLUSH_EVERY + 5] = _lead(  # same domain as a lead written by an earlier flush
        FLUSH_EVERY + 5, **{"company.domain": "firma-40.example"}
    )
    leads[FLUSH_EVERY + 7] = _lead(  # same e-mail as one waiting in this flush
        FLUSH_EVERY + 7, **{"contact.email": f"kontakt@firma-{FLUSH_EVERY + 2}.example"}
    )
    leads[60] = _lead(60, external_id="file-20")  # the same external_id again: known
    leads[61] = _lead(61, external_id="stored-before")  # stored before the import
    leads[62] = _lead(62, external_id="erased-before")  # an erased lead's: skipped
    leads[63] = _lead(63, **{"contact.email": "gone@erased.example"})  # held: erased e-mail
    leads[64] = _lead(64, **{"consent.partner_contact": False})  # held: no consent
    leads[65] = _lead(  # no partner in Austria: unmatched
        65, **{"company.address.country": "AT", "company.address.postal_code": "1010"}
    )
    leads[FLUSH_EVERY * 2 + 1] = _lead(FLUSH_EVERY * 2 + 1, external_id=None)
    return leads


async def _prepare(runtime: Runtime) -> None:
    """The same directory and history in both databases (the ids come out the same)."""
    async with runtime.uow() as uow:
        for partner_id, (tier, region) in PARTNERS.items():
            await add_partner(uow, partner_id, tier=tier, regions=[region], max_open_leads=50)
        await uow.commit()
    for payload in (
        lead_payload(external_id="stored-before", **{"contact.email": "a@stored.example"}),
        lead_payload(
            external_id="erased-before",
            **{"contact.email": "gone@erased.example", "company.domain": "erased.example"},
        ),
    ):
        async with runtime.uow() as uow:
            result = await receive(uow, LeadIn.model_validate(payload), ACTOR)
            await uow.commit()
    async with runtime.uow() as uow:
        await erase(uow, result.lead_id, ACTOR)
        await uow.commit()


def _runtime(settings: Settings, url: str, clock: ManualClock) -> Runtime:
    data = settings.model_dump()
    data["database"]["url"] = url
    return Runtime.create(Settings.model_validate(data), clock=clock)


def _snapshot(url: str) -> dict[str, Any]:
    """Every lead's outcome, with database ids replaced by what they stand for."""
    with db_session(url) as session:
        leads = session.scalars(select(Lead).order_by(Lead.id)).all()
        name = {lead.id: lead.external_id or f"#{k}" for k, lead in enumerate(leads)}
        offers = session.scalars(select(Offer).order_by(Offer.id)).all()
        offer_name = {o.id: (name[o.lead_id], o.partner_id) for o in offers}

        def plain(value: Any, key: str = "") -> Any:
            if isinstance(value, dict):
                return {k: plain(v, k) for k, v in value.items() if k != "expires_at"}
            if isinstance(value, list):
                return [plain(v) for v in value]
            if key in ("lead_id", "duplicate_of", "of", "erased") and isinstance(value, int):
                return name.get(value, value)
            if key == "offer_id":
                return offer_name[value]
            return value

        snapshot: dict[str, Any] = {}
        for lead in leads:
            snapshot[name[lead.id]] = {
                "status": lead.status,
                "hold": lead.hold_reason,
                "duplicate_of": name.get(lead.duplicate_of_id) if lead.duplicate_of_id else None,
                "round": (lead.offer_round, lead.current_wave),
                "offers": [
                    (o.partner_id, o.round, o.wave, o.rank, round(o.score, 9), o.status)
                    for o in offers
                    if o.lead_id == lead.id
                ],
            }
        for event in session.scalars(select(LeadEvent).order_by(LeadEvent.id)).all():
            snapshot[name[event.lead_id]].setdefault("events", []).append(
                (event.kind, event.from_status, event.to_status, plain(event.detail))
            )
        for timer in session.scalars(select(Timer).order_by(Timer.id)).all():
            if timer.lead_id is not None:
                snapshot[name[timer.lead_id]].setdefault("timers", []).append(
                    (timer.kind, timer.due_at, timer.payload)
                )
        for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all():
            key = name[message.lead_id] if message.lead_id is not None else "-"
            snapshot.setdefault(key, {}).setdefault("notices", []).append(
                (
                    message.platform,
                    message.address,
                    message.kind,
                    message.lane,
                    message.turn,
                    plain(message.payload),
                )
            )
        return snapshot


async def test_an_import_ends_as_the_same_leads_received_one_by_one(
    settings: Settings, database_url: str, other_database_url: str
) -> None:
    if other_database_url.startswith("sqlite"):
        upgrade(other_database_url)  # (a PostgreSQL copy is migrated already)
    clock = ManualClock()
    alone, together = (_runtime(settings, url, clock) for url in (database_url, other_database_url))
    try:
        for runtime in (alone, together):
            await _prepare(runtime)
        file = [LeadIn.model_validate(payload) for payload in _file()]

        outcomes: list[str] = []
        for lead in file:
            try:
                async with alone.uow() as uow:
                    result = await receive(uow, lead, ACTOR)
                    await uow.commit()
                outcomes.append(result.status.value if result.created else "known")
            except Gone:
                outcomes.append("skipped")
        async with together.uow() as uow:
            summary = await import_leads(uow, file, ACTOR)
            await uow.commit()
    finally:
        await alone.close()
        await together.close()

    assert summary.new == sum(o not in ("known", "skipped") for o in outcomes)
    assert summary.known == outcomes.count("known") == 2  # file-20 again, stored-before
    assert [position for position, _why in summary.skipped] == [62]
    assert outcomes[30] == outcomes[FLUSH_EVERY + 5] == outcomes[FLUSH_EVERY + 7] == "held"
    assert (outcomes[63], outcomes[64], outcomes[65]) == ("held", "held", "unmatched")

    one_by_one, imported = _snapshot(database_url), _snapshot(other_database_url)
    assert imported.keys() == one_by_one.keys()
    for key, expected in one_by_one.items():
        assert imported[key] == expected, key
    # Fairness spread the Bavarian leads' first waves over the partners that fit them.
    firsts = {
        v["offers"][0][0] for k, v in one_by_one.items() if k.startswith("file-") and v["offers"]
    }
    assert {"P-GOLD-BY", "P-GOLD-BY2", "P-PLAT-DE"} <= firsts
