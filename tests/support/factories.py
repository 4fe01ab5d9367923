"""Builders for test data: lead payloads as a CRM sends them, partners and reps."""

from __future__ import annotations

import copy
from typing import Any

from bot.actors import Actor
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, Partner, Rep
from bot.runtime import Runtime
from bot.uow import UnitOfWork


def lead_payload(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /api/leads`` body; ``overrides`` are merged (dotted keys allowed)."""
    body: dict[str, Any] = {
        "external_id": "crm-1001",
        "campaign": "Hannover Messe 2026",
        "source": "trade_fair",
        "score": 85,
        "company": {
            "name": "Brauerei Huber GmbH",
            "industry": "food",
            "employees": 120,
            "annual_revenue_eur": 18_000_000,
            "domain": "brauerei-huber.de",
            "address": {
                "street": "Hopfenweg 7",
                "postal_code": "80331",
                "city": "München",
                "country": "DE",
            },
        },
        "contact": {
            "name": "Maria Huber",
            "email": "maria.huber@brauerei-huber.de",
            "phone": "+49 89 1234567",
            "role": "Head of IT",
        },
        "interest": {
            "products": ["X200"],
            "estimated_value_eur": 60_000,
            "timeline": "3_months",
            "message": "Please call after 10am.",
        },
        "consent": {"partner_contact": True, "given_at": "2026-03-01T10:00:00+01:00"},
    }
    for key, value in overrides.items():
        target = body
        parts = key.split("__") if "__" in key else key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if value is _DELETE:
            target.pop(parts[-1], None)
        else:
            target[parts[-1]] = copy.deepcopy(value)
    return body


_DELETE = object()
DELETE = _DELETE


async def add_partner(uow: UnitOfWork, partner_id: str, **fields: Any) -> Partner:
    values: dict[str, Any] = {
        "name": f"Partner {partner_id}",
        "tier": "gold",
        "country": "DE",
        "regions": ["DE"],
        "products": ["X200"],
        "certifications": {"X-series": "advanced"},
        "segments": ["sme", "enterprise", "public"],
        "max_open_leads": 5,
        "languages": ["de"],
    }
    values.update(fields)
    partner = Partner(id=partner_id, **values)
    uow.session.add(partner)
    await uow.session.flush()
    return partner


async def add_rep(uow: UnitOfWork, partner_id: str, email: str, **fields: Any) -> Rep:
    rep = Rep(
        partner_id=partner_id, email=email, name=fields.pop("name", email.split("@")[0]), **fields
    )
    uow.session.add(rep)
    await uow.session.flush()
    return rep


async def store_lead(runtime: Runtime, n: int, **overrides: Any) -> int:
    """Lead ``n`` as a CRM posts it, stored and routed (offered, held, …); its id.

    Each ``n`` has its own ``external_id``, contact e-mail and company domain, so the leads
    of one test are not held as duplicates of each other."""
    payload = lead_payload(
        external_id=f"crm-{n}",
        **{"company.domain": f"firma-{n}.example", "contact.email": f"a@firma-{n}.example"},
        **overrides,
    )
    async with runtime.uow() as uow:
        result = await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
        await uow.commit()
    return result.lead_id
