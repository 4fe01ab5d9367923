"""The OpenAPI document: the lead contract (``LeadIn``) with examples, and bearer auth.

``POST /api/leads`` reads its body itself (so the token is checked before the body is
even parsed, see :mod:`bot.web.api`), which means FastAPI cannot derive the request schema
from a parameter. We add the ``LeadIn`` schema to the components here, from the same
pydantic model that validates requests, so the document cannot drift from the code.

It states every rule the server enforces, so a body that is valid against the document is
accepted (the server may be a little more lenient, never stricter): text patterns (no
control characters, not blank), the bounds of every number, the ISO country codes, "an
e-mail address or a phone number", lat and lon together, and — from the configuration
of the serving process — the known product ids and partner tiers. :func:`lead_schemas`
adjusts what pydantic generates where JSON Schema needs the rule written differently.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bot.config import Settings
from bot.crm.paging import CURSOR_PATTERN
from bot.intake.schema import LeadIn
from bot.plaintext import NONBLANK_PATTERN
from bot.web.crm_models import LeadPage
from bot.web.openapi_events import document_outages, webhooks_section

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
`410` when that `external_id` belonged to an erased lead, `422` naming each bad field,
`413` for a body over 1 MB, `401` for a missing or wrong token.
Types are strict: numbers are JSON numbers (not strings or booleans), `consent.partner_contact`
is a JSON boolean, text carries no control characters and is trimmed; JSON nested deeper
than 32 levels, `NaN`/`Infinity` and lone surrogates are refused with `422`. Loose fields
(`interest.timeline`, `company.industry`) take the CRM's own words, kept as given; the
answer's `warnings` say how teasers show them.

`GET /api/leads/{id}`, `GET /api/leads?external_id=…` read a lead (state, owner, outcome,
audit trail; no personal data); `GET /api/leads?updated_since=…&limit=…&cursor=…` pages
through the leads changed since a time, in commit order; `DELETE /api/leads/{id}` or
`DELETE /api/leads?external_id=…` erases a lead's personal data. Outbound, leadbot sends
signed Standard Webhooks for every lifecycle change (see `webhooks`). Details: docs/crm.md.
"""

LEAD_ID_PARAMETER: dict[str, Any] = {
    "name": "lead_id",
    "in": "path",
    "required": True,
    "description": "leadbot's id of the lead (the `id` of the 201 answer).",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
}
EXTERNAL_ID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "pattern": NONBLANK_PATTERN,  # as the lead's own external_id: no control characters
}
EXTERNAL_ID_PARAMETER: dict[str, Any] = {
    "name": "external_id",
    "in": "query",
    "required": False,
    "description": "The CRM's id of the lead: answers with that lead (not a page).",
    "schema": EXTERNAL_ID_SCHEMA,
}
EXTERNAL_ID_PARAMETER_REQUIRED: dict[str, Any] = {
    **EXTERNAL_ID_PARAMETER,
    "required": True,
    "description": "The CRM's id of the lead to erase.",
}
LIST_PARAMETERS: list[dict[str, Any]] = [
    EXTERNAL_ID_PARAMETER,
    {
        "name": "updated_since",
        "in": "query",
        "required": False,
        "description": "Only leads changed at or after this time (ISO 8601 with a time zone; "
        "write `+` as `%2B`). Without it: every lead.",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Leads per page (default 100).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The `next_cursor` of the previous page (a position, `<change>.<id>`). "
        "One this database did not give out (ahead of its latest change) is `409`.",
        "schema": {"type": "string", "pattern": CURSOR_PATTERN},
    },
]


def _string_branch(prop: dict[str, Any]) -> dict[str, Any] | None:
    for branch in prop.get("anyOf", []):
        if branch.get("type") == "string":
            return branch
    return None


def _tidy(schema: dict[str, Any]) -> None:
    """Move keywords pydantic puts beside an ``anyOf`` into its string branch.

    A field-specific pattern (postal code, domain, ticker, phone) replaces the generic
    no-control-characters one: each of them admits no control character either.
    """
    for prop in schema.get("properties", {}).values():
        branch = _string_branch(prop)
        if branch is not None and "pattern" in prop:
            branch["pattern"] = prop.pop("pattern")


def _not_null(prop: dict[str, Any]) -> None:
    """``X | None`` -> ``X``: for fields whose *presence* another rule depends on."""
    [kept] = [b for b in prop.pop("anyOf") if b.get("type") != "null"]
    prop.pop("default", None)
    prop.update(kept)


def lead_schemas(settings: Settings | None) -> dict[str, dict[str, Any]]:
    """``LeadIn`` and its parts as OpenAPI components, with the configuration's rules."""
    lead = copy.deepcopy(LeadIn.model_json_schema(ref_template="#/components/schemas/{model}"))
    components: dict[str, dict[str, Any]] = lead.pop("$defs", {})
    components["LeadIn"] = lead
    for schema in components.values():
        _tidy(schema)
    address = components["AddressIn"]
    for name in ("lat", "lon"):
        _not_null(address["properties"][name])
    address["dependentRequired"] = {"lat": ["lon"], "lon": ["lat"]}
    if settings is not None:
        products = sorted({p.id for p in settings.products})
        if products:
            item = components["InterestIn"]["properties"]["products"]["items"]
            item["enum"] = products
            item["description"] = "A product id from the manufacturer's catalogue."
        tiers = components["ConsentIn"]["properties"]["allowed_tiers"]["items"]
        tiers["enum"] = list(settings.matching.tiers)
    lead["examples"] = list(examples(settings).values())
    return components


def examples(settings: Settings | None) -> dict[str, dict[str, Any]]:
    """The two example leads, naming a product and tiers the serving process knows."""
    full, minimal = copy.deepcopy(FULL_EXAMPLE), copy.deepcopy(MINIMAL_EXAMPLE)
    if settings is not None:
        products = sorted({p.id for p in settings.products})
        if products:
            full["interest"]["products"] = minimal["interest"]["products"] = products[:1]
        full["consent"]["allowed_tiers"] = list(settings.matching.tiers[:2])
    return {"full": full, "minimal": minimal}


def install(app: FastAPI, version: str, settings: Settings | None = None) -> None:
    """Make ``app.openapi()`` include the ``LeadIn`` schema (and its parts) with examples."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title="leadbot", version=version, description=DESCRIPTION, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(lead_schemas(settings))
        components.update(page_schemas())
        body = schema["paths"]["/api/leads"]["post"]["requestBody"]["content"]
        for name, value in examples(settings).items():
            body["application/json"]["examples"][name]["value"] = value
        schema["webhooks"] = webhooks_section()
        document_outages(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def page_schemas() -> dict[str, dict[str, Any]]:
    """``LeadPage`` (and ``LeadOut`` with its parts), which the list answer refers to."""
    page = copy.deepcopy(LeadPage.model_json_schema(ref_template="#/components/schemas/{model}"))
    components: dict[str, dict[str, Any]] = page.pop("$defs", {})
    components["LeadPage"] = page
    return components
