"""The lifecycle through the service layer, on both databases (no chat platform involved)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.delivery.notices import LeadCardView, NoticeKind, TeaserView
from bot.delivery.sender import OutboxSender
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import ClaimOutcome, claim
from bot.leads.lifecycle import IllegalTransition
from bot.leads.progress import report_progress
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, Lead, LeadEvent, LeadStatus, Offer, OfferStatus, Platform
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.recording import RecordingTransport


async def _directory(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        for pid in ("P1", "P2"):
            await add_partner(uow, pid)
        await add_rep(uow, "P1", "anna@p1.de")
        await add_rep(uow, "P2", "ben@p2.de")
        await uow.commit()


async def _intake(runtime: Runtime, **overrides: object) -> int:
    async with runtime.uow() as uow:
        result = await receive(
            uow, LeadIn.model_validate(lead_payload(**overrides)), Actor.system(Channel.API)
        )
        await uow.commit()
    return result.lead_id


async def test_claim_then_progress_to_won(runtime: Runtime) -> None:
    await _directory(runtime)
    lead_id = await _intake(runtime)
    transport = RecordingTransport()
    sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
    await sender.flush()
    teasers = [d for d in transport.deliveries if isinstance(d.view, TeaserView)]
    assert [d.address for d in teasers] == ["partner:P1"]  # wave 1: one partner
    assert "Brauerei" not in repr(teasers[0].view)

    async with runtime.uow() as uow:
        offer = await uow.session.scalar(select(Offer).where(Offer.lead_id == lead_id))
    assert offer is not None
    async with runtime.uow() as uow:
        result = await claim(uow, offer.id, 1, Platform.CONSOLE)
    assert result.outcome is ClaimOutcome.WON
    async with runtime.uow() as uow:
        again = await claim(uow, offer.id, 1, Platform.CONSOLE)
    assert again.outcome is ClaimOutcome.ALREADY_YOURS

    await sender.flush()
    cards = [d for d in transport.to("rep:1") if isinstance(d.view, LeadCardView)]
    assert cards and cards[-1].view.lead is not None
    assert cards[-1].view.lead.company_name == "Brauerei Huber GmbH"

    rep = Actor.rep(Channel.CONSOLE, 1, "P1", "anna")
    for action in (StatusAction.CONTACTED, StatusAction.PROPOSAL):
        async with runtime.uow() as uow:
            await report_progress(uow, lead_id, rep, Report(action))
    async with runtime.uow() as uow:
        with pytest.raises(IllegalTransition):
            await report_progress(uow, lead_id, rep, Report(StatusAction.MEETING))
    async with runtime.uow() as uow:
        await report_progress(
            uow, lead_id, rep, Report(StatusAction.WON, revenue_eur=Decimal("61000"))
        )
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        events = (
            await uow.session.scalars(
                select(LeadEvent.to_status).where(
                    LeadEvent.lead_id == lead_id, LeadEvent.kind == "status"
                )
            )
        ).all()
        offers = (
            await uow.session.scalars(select(Offer.status).where(Offer.lead_id == lead_id))
        ).all()
    assert (
        lead is not None
        and lead.status is LeadStatus.WON
        and lead.revenue_eur == Decimal("61000.00")
    )
    assert events == ["offered", "claimed", "contacted", "proposal", "won"]
    assert list(offers) == [OfferStatus.WON]
    await sender.flush()
    staff = [d.view.event for d in transport.to("staff") if d.view.kind is NoticeKind.STAFF]  # type: ignore[union-attr]
    assert staff[:3] == ["new_lead", "offered", "claimed"]


async def test_lead_without_consent_is_held(runtime: Runtime) -> None:
    await _directory(runtime)
    lead_id = await _intake(runtime, **{"consent.partner_contact": False})
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        offers = (await uow.session.scalars(select(Offer))).all()
    assert lead is not None and lead.status is LeadStatus.HELD and offers == []
