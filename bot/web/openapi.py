"""The OpenAPI document: the lead contract (``LeadIn``) with examples, and bearer auth.

``POST /api/leads`` reads its body itself (so the token is checked before the body is
even parsed, see :mod:`bot.web.api`), which means FastAPI cannot derive the request schema
from a parameter. We add the ``LeadIn`` schema to the components here, from the same
pydantic model that validates requests, so the document cannot drift from the code.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bot.intake.schema import LeadIn

FULL_EXAMPLE: dict[str, Any] = {
    "external_id": "crm-2026-0001",
    "campaign": "Hannover Messe 2026",
    "source": "trade_fair",
    "score": 82,
    "company": {
        "name": "Bergbrauerei Wallner GmbH",
        "industry": "food",
        "employees": 180,
        "annual_revenue_eur": 34000000,
        "domain": "bergbrauerei-wallner.example",
        "address": {
            "street": "Brauhausgasse 4",
            "postal_code": "83022",
            "city": "Rosenheim",
            "country": "DE",
        },
    },
    "contact": {
        "name": "Andrea Wallner",
        "email": "a.wallner@bergbrauerei-wallner.example",
        "phone": "+49 8031 40770",
        "role": "Leiterin Produktion",
    },
    "interest": {
        "products": ["X200"],
        "estimated_value_eur": 45000,
        "timeline": "3_months",
        "message": "Abfüllanlage soll Maschinendaten liefern.",
    },
    "consent": {
        "partner_contact": True,
        "allowed_tiers": ["platinum", "gold"],
        "given_at": "2026-04-21T11:30:00+02:00",
        "text": "Ich bin einverstanden, dass ein Vertriebspartner mich kontaktiert.",
    },
}

MINIMAL_EXAMPLE: dict[str, Any] = {
    "company": {"name": "Software Schmidt GmbH", "address": {"country": "DE"}},
    "contact": {"email": "leon@software-schmidt.example"},
    "interest": {"products": ["C10"]},
}

REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One lead. Unknown fields are refused (422), not ignored.",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/LeadIn"},
                "examples": {
                    "full": {"summary": "A lead with every field", "value": FULL_EXAMPLE},
                    "minimal": {
                        "summary": "The fewest fields (held: no consent given)",
                        "value": MINIMAL_EXAMPLE,
                    },
                },
            }
        },
    }
}

DESCRIPTION = """\
Hands the manufacturer's hot leads to the right reseller, inside Slack and Telegram.

`POST /api/leads` takes one lead (the `LeadIn` schema) with `Authorization: Bearer <token>`.
`201` for a new lead, `200` with the stored lead when its `external_id` is already known,
`422` naming each bad field, `401` for a missing or wrong token.
"""


def install(app: FastAPI, version: str) -> None:
    """Make ``app.openapi()`` include the ``LeadIn`` schema (and its parts) with examples."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title="leadbot", version=version, description=DESCRIPTION, routes=app.routes
        )
        lead = copy.deepcopy(LeadIn.model_json_schema(ref_template="#/components/schemas/{model}"))
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(lead.pop("$defs", {}))
        lead["examples"] = [FULL_EXAMPLE, MINIMAL_EXAMPLE]
        components["LeadIn"] = lead
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
