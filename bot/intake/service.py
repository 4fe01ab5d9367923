"""Lead intake: store a validated lead, then hold it, flag it, or send it to matching.

* The same ``external_id`` twice returns the stored lead (idempotent for retrying CRMs).
* The ``external_id`` of an erased lead is refused (:class:`~bot.errors.Gone`); a lead with
  an erased lead's contact e-mail is ``held`` as "previously erased" for staff to decide
  (:mod:`bot.crm.erased_leads`).
* No consent to share with partners: ``held`` until staff release it with consent.
* Same contact e-mail or company domain as an open lead: ``held`` as a possible duplicate,
  and staff are told — it is not offered twice.
* Otherwise the first wave goes out, or the lead is ``unmatched``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.actors import Actor
from bot.errors import Gone
from bot.geo import locate
from bot.intake.lookups import Known, contact_keys, known_one
from bot.intake.schema import LeadIn
from bot.intake.together import LeadsTogether
from bot.leads.distribution import start_round
from bot.leads.events import change_status, record
from bot.models import HoldReason, Lead, LeadPersonalData, LeadStatus
from bot.plaintext import quoted
from bot.uow import UnitOfWork


@dataclass(frozen=True)
class IntakeResult:
    lead_id: int
    status: LeadStatus
    created: bool


async def _known(
    uow: UnitOfWork, data: LeadIn, personal: LeadPersonalData, together: LeadsTogether | None
) -> Known:
    if together is None:
        return await known_one(uow, data, personal.contact_email, personal.domain)
    return await together.known(data)


def build_lead(data: LeadIn, now: datetime) -> tuple[Lead, LeadPersonalData]:
    """Split validated input into the lead's facts and its personal data (pure)."""
    address = data.company.address
    place = locate(address.country, address.postal_code)
    lead = Lead(
        external_id=data.external_id,
        status=LeadStatus.RECEIVED,
        campaign=data.campaign,
        source=data.source,
        score=data.score,
        industry=data.company.industry,
        employees=data.company.employees,
        annual_revenue_eur=data.company.annual_revenue_eur,
        country=address.country,
        region=place.region,
        postal_area=place.postal_area,
        products=list(dict.fromkeys(data.interest.products)),
        estimated_value_eur=data.interest.estimated_value_eur,
        timeline=data.interest.timeline,
        consent_partner_contact=data.consent.partner_contact,
        consent_allowed_partners=list(data.consent.allowed_partners),
        consent_allowed_tiers=list(data.consent.allowed_tiers),
        consent_given_at=data.consent.given_at,
        offer_round=0,
        current_wave=0,
        created_at=now,
        updated_at=now,
    )
    personal = LeadPersonalData(
        company_name=data.company.name,
        domain=data.company.domain,
        ticker=data.company.ticker,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        lat=address.lat if address.lat is not None else place.lat,
        lon=address.lon if address.lon is not None else place.lon,
        contact_name=data.contact.name,
        contact_email=contact_keys(data)[0],
        contact_phone=data.contact.phone,
        contact_role=data.contact.role,
        message=data.interest.message,
        consent_text=data.consent.text,
    )
    return lead, personal


async def receive(
    uow: UnitOfWork, data: LeadIn, actor: Actor, together: LeadsTogether | None = None
) -> IntakeResult:
    """Store ``data`` and route it. The caller commits.

    Its notices (new lead, teasers, offered) go into the outbox in one statement.
    ``together``: one of many leads of this transaction, written with the others
    (:mod:`bot.intake.together`)."""
    async with uow.outbox.grouped():
        return await _store(uow, data, actor, together)


async def _store(
    uow: UnitOfWork, data: LeadIn, actor: Actor, together: LeadsTogether | None
) -> IntakeResult:
    lead, personal = build_lead(data, uow.clock.now())
    known = await _known(uow, data, personal, together)
    if known.existing is not None:
        lead_id, status = known.existing
        return IntakeResult(lead_id, status, created=False)
    if known.erased_external_id is not None:
        raise Gone(
            f"external_id {quoted(data.external_id)} belonged to lead {known.erased_external_id}, "
            "whose personal data was erased on request; an erased lead is not taken in again",
            lead_id=known.erased_external_id,
        )
    was_erased, duplicate_of = known.erased_email, known.duplicate_of
    if together is None:
        uow.session.add(lead)
        await uow.session.flush()
    else:
        lead.id = await together.next_id()
        uow.session.add(lead)
    personal.lead_id = lead.id
    uow.session.add(personal)
    record(uow, lead, actor, "received", to_status=LeadStatus.RECEIVED, source=data.source)
    await uow.outbox.staff("new_lead", lead_id=lead.id, campaign=data.campaign, source=data.source)

    if was_erased is not None:
        lead.hold_reason = HoldReason.PREVIOUSLY_ERASED
        change_status(uow, lead, LeadStatus.HELD, actor, reason="previously_erased")
        await uow.outbox.staff("previously_erased", lead_id=lead.id, erased=was_erased)
    elif duplicate_of is not None:
        lead.hold_reason = HoldReason.POSSIBLE_DUPLICATE
        lead.duplicate_of_id = duplicate_of
        change_status(
            uow, lead, LeadStatus.HELD, actor, reason="possible_duplicate", of=duplicate_of
        )
        await uow.outbox.staff("duplicate", lead_id=lead.id, duplicate_of=duplicate_of)
    elif not data.consent.partner_contact:
        lead.hold_reason = HoldReason.NO_CONSENT
        change_status(uow, lead, LeadStatus.HELD, actor, reason="no_consent")
        await uow.outbox.staff("held", lead_id=lead.id)
    else:
        await start_round(uow, lead, actor, personal)
    if together is not None:
        await together.received(lead, personal)
    return IntakeResult(lead.id, lead.status, created=True)
