"""Matching inside the lead lifecycle: who gets the first wave, the next, or nobody."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.actors import Actor
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.distribution import expire_wave
from bot.models import Channel, Lead, LeadStatus, Offer, Partner
from bot.runtime import Runtime
from tests.support.factories import add_partner, lead_payload


async def _intake(runtime: Runtime, **overrides: object) -> int:
    async with runtime.uow() as uow:
        result = await receive(
            uow, LeadIn.model_validate(lead_payload(**overrides)), Actor.system(Channel.API)
        )
        await uow.commit()
    return result.lead_id


async def _offers(runtime: Runtime, lead_id: int) -> list[tuple[int, int, str]]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(
            select(Offer).where(Offer.lead_id == lead_id).order_by(Offer.wave, Offer.rank)
        )
        return [(o.wave, o.rank, o.partner_id) for o in rows]


async def test_waves_follow_the_ranking_and_skip_partners_paused_meanwhile(
    runtime: Runtime,
) -> None:
    async with runtime.uow() as uow:
        await add_partner(uow, "PLAT", tier="platinum")
        await add_partner(uow, "GOLD", tier="gold")
        await add_partner(uow, "SILV", tier="silver")
        await add_partner(uow, "REG", tier="registered")
        await add_partner(uow, "BERLIN", regions=["DE-BE"])  # never eligible for München
        await uow.commit()
    lead_id = await _intake(runtime)
    assert await _offers(runtime, lead_id) == [(1, 1, "PLAT")]

    async with runtime.uow() as uow:
        silver = await uow.session.get(Partner, "SILV")
        assert silver is not None
        silver.paused_at = datetime(2026, 3, 1, tzinfo=UTC)
        await uow.commit()
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None
        assert await expire_wave(uow, lead, 1, 1) == "next_wave"
        await uow.commit()
    assert await _offers(runtime, lead_id) == [(1, 1, "PLAT"), (2, 2, "GOLD"), (2, 3, "REG")]


async def test_nobody_eligible_leaves_the_lead_unmatched(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        await add_partner(uow, "AUT", country="AT", regions=["AT"])
        await add_partner(uow, "CLOUD", certifications={"Cloud": "expert"})
        await uow.commit()
    lead_id = await _intake(runtime)
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None and lead.status is LeadStatus.UNMATCHED
        assert lead.region == "DE-BY"  # derived offline from 80331
    assert await _offers(runtime, lead_id) == []


async def test_radius_partner_placed_by_postal_code_gets_a_nearby_lead(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        # No coordinates in the directory: both are placed at their postal code.
        await add_partner(uow, "MUC", postal_code="85748", service_radius_km=40, regions=[])
        await add_partner(uow, "HAM", postal_code="20095", service_radius_km=300, regions=[])
        await uow.commit()
    lead_id = await _intake(runtime)
    assert await _offers(runtime, lead_id) == [(1, 1, "MUC")]
