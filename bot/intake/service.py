"""Lead intake: store a validated lead, then hold it, flag it, or send it to matching.

* The same ``external_id`` twice returns the stored lead (idempotent for retrying CRMs).
* The ``external_id`` of an erased lead is refused (:class:`~bot.errors.Gone`); a lead with
  an erased lead's contact e-mail is ``held`` as "previously erased" for staff to decide
  (:mod:`bot.crm.tombstones`).
* No consent to share with partners: ``held`` until staff release it with consent.
* Same contact e-mail or company domain as an open lead: ``held`` as a possible duplicate,
  and staff are told — it is not offered twice.
* Otherwise the first wave goes out, or the lead is ``unmatched``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, or_, select

from bot.actors import Actor
from bot.crm.tombstones import EMAIL, EXTERNAL_ID, digests, erased_query
from bot.errors import Gone
from bot.geo import locate
from bot.intake.schema import LeadIn
from bot.leads.distribution import start_round
from bot.leads.events import change_status, record
from bot.models import HoldReason, Lead, LeadPersonalData, LeadStatus
from bot.uow import UnitOfWork

TERMINAL = (LeadStatus.WON, LeadStatus.LOST, LeadStatus.ERASED)


@dataclass(frozen=True)
class IntakeResult:
    lead_id: int
    status: LeadStatus
    created: bool


# An open lead with the same contact e-mail or company domain (a missing value is bound
# as NULL, which matches nothing).
_DUPLICATE = (
    select(Lead.id)
    .join(LeadPersonalData, LeadPersonalData.lead_id == Lead.id)
    .where(
        or_(
            LeadPersonalData.contact_email == bindparam("email"),
            LeadPersonalData.domain == bindparam("domain"),
        ),
        Lead.status.not_in(TERMINAL),
    )
    .order_by(Lead.id)
    .limit(1)
)


def _lookups_query() -> Select[tuple[int | None, str | None, int | None, int | None, int | None]]:
    """Everything intake must know before it stores a lead, in one statement.

    The stored lead with the same ``external_id`` (id and status), the erased lead of that
    ``external_id``, the erased lead of the contact e-mail, and the open lead with the same
    e-mail or domain — each a scalar subquery that is NULL when a value is missing (a
    NULL parameter matches nothing; an empty digest list neither). Four round trips were a
    sixth of a lead's statements."""
    by_external_id = select(Lead.id).where(Lead.external_id == bindparam("external_id")).limit(1)
    return select(
        by_external_id.scalar_subquery(),
        by_external_id.with_only_columns(Lead.status).scalar_subquery(),
        erased_query(EXTERNAL_ID, "external_id_digests").scalar_subquery(),
        erased_query(EMAIL, "email_digests").scalar_subquery(),
        _DUPLICATE.scalar_subquery(),
    )


_LOOKUPS = _lookups_query()  # built once: building a statement costs more than running it


@dataclass(frozen=True)
class _Known:
    """What the database already knows about a lead about to be stored."""

    existing: IntakeResult | None
    erased_external_id: int | None
    erased_email: int | None
    duplicate_of: int | None


async def _known(uow: UnitOfWork, data: LeadIn, email: str | None, domain: str | None) -> _Known:
    settings = uow.settings
    row = (
        await uow.session.execute(
            _LOOKUPS,
            {
                "external_id": data.external_id or None,
                "external_id_digests": digests(settings, EXTERNAL_ID, data.external_id),
                "email_digests": digests(settings, EMAIL, email),
                "email": email or None,
                "domain": domain or None,
            },
        )
    ).one()
    lead_id, status, erased_external_id, erased_email, duplicate_of = row
    existing = (
        IntakeResult(lead_id, LeadStatus(status), created=False) if lead_id is not None else None
    )
    return _Known(existing, erased_external_id, erased_email, duplicate_of)


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
        contact_email=data.contact.email.lower() if data.contact.email else None,
        contact_phone=data.contact.phone,
        contact_role=data.contact.role,
        message=data.interest.message,
        consent_text=data.consent.text,
    )
    return lead, personal


async def receive(uow: UnitOfWork, data: LeadIn, actor: Actor) -> IntakeResult:
    """Store ``data`` and route it. The caller commits.

    Its notices (new lead, teasers, offered) go into the outbox in one statement."""
    async with uow.outbox.grouped():
        return await _store(uow, data, actor)


async def _store(uow: UnitOfWork, data: LeadIn, actor: Actor) -> IntakeResult:
    lead, personal = build_lead(data, uow.clock.now())
    known = await _known(uow, data, personal.contact_email, personal.domain)
    if known.existing is not None:
        return known.existing
    if known.erased_external_id is not None:
        raise Gone(
            f"external_id {data.external_id!r} belonged to lead {known.erased_external_id}, "
            "whose personal data was erased on request; an erased lead is not taken in again",
            lead_id=known.erased_external_id,
        )
    was_erased, duplicate_of = known.erased_email, known.duplicate_of
    uow.session.add(lead)
    await uow.session.flush()
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
    return IntakeResult(lead.id, lead.status, created=True)
