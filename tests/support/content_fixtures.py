"""Builders for content and news tests: a product catalogue, a small library, claimed leads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.actors import Actor
from bot.delivery.notices import MessageView, NoticeKind
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.claims import ClaimOutcome, claim
from bot.models import Channel, Offer, OfferStatus, Platform
from bot.runtime import Runtime
from tests.support.factories import lead_payload
from tests.support.recording import RecordingTransport

PRODUCTS: list[dict[str, Any]] = [
    {"id": "X200", "line": "X-series", "min_certification": "basic"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud", "min_certification": "basic"},
]

X_SERIES = """\
line = "X-series"

[[arguments]]
key = "x-latency"
[arguments.de]
title = "Entscheidungen in Millisekunden"
body = "Der X200 regelt vor Ort in unter 5 ms."
[arguments.en]
title = "Decisions in milliseconds"
body = "The X200 controls on site in under 5 ms."

[[offers]]
key = "x200-spring"
products = ["X200"]
valid_from = 2026-02-01
valid_until = 2026-03-31
[offers.de]
title = "Frühjahrspaket: 3 zum Preis von 2,5"
body = "Bei Bestellung bis 31. März."
[offers.en]
title = "Spring bundle: 3 for the price of 2.5"
body = "When ordered by 31 March."

[[offers]]
key = "x-expired"
valid_until = 2026-02-28
[offers.de]
title = "Abgelaufen"
body = "Darf nie verschickt werden."

[[offers]]
key = "x-fair"
valid_from = 2026-04-20
valid_until = 2026-04-30
[offers.de]
title = "Messeangebot"
body = "Erst ab 20. April gültig."

[[services]]
key = "x-commissioning"
[services.de]
title = "Inbetriebnahme vor Ort"
body = "Ein Techniker des Herstellers, ein Tag, Festpreis."
"""

X_FOOD = """\
line = "X-series"
industries = ["food"]

[[arguments]]
key = "x-haccp"
[arguments.de]
title = "HACCP-Protokolle automatisch"
body = "Temperaturen und Chargen lückenlos protokolliert."
"""

CLOUD = """\
line = "Cloud"

[[arguments]]
key = "c10-hosted-de"
[arguments.en]
title = "Hosted in Germany"
body = "ISO 27001 data centres in Frankfurt."
"""


def write_library(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "x-series.toml").write_text(X_SERIES, encoding="utf-8")
    (root / "x-series-food.toml").write_text(X_FOOD, encoding="utf-8")
    (root / "cloud.toml").write_text(CLOUD, encoding="utf-8")
    return root


def lead_overrides(n: int, partner_id: str, **extra: Any) -> dict[str, Any]:
    """A lead only ``partner_id`` may get, distinct from other test leads (no duplicates)."""
    values: dict[str, Any] = {
        "external_id": f"crm-{n}",
        "company.domain": f"company-{n}.de",
        "contact.email": f"buyer@company-{n}.de",
        "consent.allowed_partners": [partner_id],
    }
    values.update(extra)
    return values


async def claimed_lead(runtime: Runtime, n: int, partner_id: str, rep_id: int, **extra: Any) -> int:
    """Take a lead in, and have ``rep_id`` claim it (on the console)."""
    async with runtime.uow() as uow:
        data = LeadIn.model_validate(lead_payload(**lead_overrides(n, partner_id, **extra)))
        result = await receive(uow, data, Actor.system(Channel.API))
        await uow.commit()
    async with runtime.uow() as uow:
        offer = await uow.session.scalar(
            select(Offer).where(Offer.lead_id == result.lead_id, Offer.status == OfferStatus.OPEN)
        )
    assert offer is not None, f"lead {n} was not offered to {partner_id}"
    async with runtime.uow() as uow:
        outcome = await claim(uow, offer.id, rep_id, Platform.CONSOLE)
    assert outcome.outcome is ClaimOutcome.WON
    return result.lead_id


def views(transport: RecordingTransport, kind: NoticeKind) -> list[tuple[str, MessageView]]:
    """(address, view) of every delivered message of ``kind``, in delivery order."""
    return [
        (d.address, d.view)
        for d in transport.deliveries
        if isinstance(d.view, MessageView) and d.view.kind is kind
    ]
