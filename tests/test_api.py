"""The HTTP API over real HTTP semantics (httpx + ASGI), on both databases."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.migrate import head_revision
from bot.models import HoldReason, Lead, LeadPersonalData, LeadStatus, OutboxMessage
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.factories import DELETE, add_partner, lead_payload

TOKEN = "test-token-7f3a9c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [
    {"id": "X200", "line": "X-series", "min_certification": "basic"},
    {"id": "S3", "line": "Security", "min_certification": "advanced"},
]


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://leadbot")


@pytest.fixture
async def api_runtime(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Runtime]:
    settings = make_settings(server={"api_token": TOKEN}, products=PRODUCTS)
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", products=["X200", "S3"])
        await uow.commit()
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(api_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(create_app(api_runtime)) as http:
        yield http


async def _lead(runtime: Runtime, lead_id: int) -> tuple[Lead, LeadPersonalData | None]:
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None
        return lead, await uow.session.get(LeadPersonalData, lead_id)


async def _staff_events(runtime: Runtime, lead_id: int) -> list[str]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.lead_id == lead_id, OutboxMessage.address == "staff"
            )
        )
        return [row.payload["event"] for row in rows]


async def test_new_lead_201_then_same_external_id_200(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    first = await client.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "offered"
    lead, personal = await _lead(api_runtime, body["id"])
    assert lead.external_id == "crm-1001" and lead.products == ["X200"]
    assert personal is not None and personal.contact_email == "maria.huber@brauerei-huber.de"

    again = await client.post(
        "/api/leads", json=lead_payload(**{"company.name": "Changed"}), headers=AUTH
    )
    assert again.status_code == 200
    assert again.json() == body
    _, personal = await _lead(api_runtime, body["id"])
    assert personal is not None and personal.company_name == "Brauerei Huber GmbH"


async def test_concurrent_retries_store_one_lead(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    payload = lead_payload(external_id="crm-race")
    responses = await asyncio.gather(
        *(client.post("/api/leads", json=payload, headers=AUTH) for _ in range(5))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_invalid_lead_names_each_field(client: httpx.AsyncClient) -> None:
    payload = lead_payload(
        score=101,
        colour="red",
        **{
            "company.name": DELETE,
            "company.address.postal_code": "!!",
            "contact.email": "not-an-address",
            "interest.products": ["X200", "NOPE"],
            "consent.allowed_tiers": ["diamond"],
        },
    )
    response = await client.post("/api/leads", json=payload, headers=AUTH)
    assert response.status_code == 422
    problems = {p["field"]: p for p in response.json()["detail"]}
    assert set(problems) == {
        "score",
        "colour",
        "company.name",
        "company.address.postal_code",
        "contact.email",
        "interest.products[1]",
        "consent.allowed_tiers[0]",
    }
    assert problems["colour"]["msg"] == "unknown field"
    assert problems["company.name"]["msg"] == "required"
    assert problems["company.name"]["loc"] == ["body", "company", "name"]
    assert "unknown product 'NOPE'" in problems["interest.products[1]"]["msg"]
    assert "unknown tier 'diamond'" in problems["consent.allowed_tiers[0]"]["msg"]


async def test_unknown_product_alone_is_422(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    response = await client.post(
        "/api/leads", json=lead_payload(**{"interest.products": ["C10"]}), headers=AUTH
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "interest.products[0]"
    assert problem["msg"] == "unknown product 'C10' (known: S3, X200)"
    async with api_runtime.uow() as uow:
        assert (await uow.session.scalars(select(Lead.id))).all() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"company": ', "not valid JSON"),
        (b"", "the request body is empty"),
        (b"[1, 2]", "expected one lead as a JSON object"),
        (b'"\xff"', "not UTF-8"),
    ],
)
async def test_malformed_body_is_422_with_a_message(
    client: httpx.AsyncClient, body: bytes, message: str
) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = await client.post("/api/leads", content=body, headers=headers)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "body" and message in problem["msg"]


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    big = lead_payload(**{"interest.message": "x" * 1_100_000})
    response = await client.post("/api/leads", json=big, headers=AUTH)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing token"),
        ({"Authorization": "Bearer wrong-token"}, "invalid API token"),
        ({"Authorization": f"Basic {TOKEN}"}, "wrong authorization scheme: expected 'Bearer'"),
        ({"Authorization": "Token abc"}, "wrong authorization scheme: expected 'Bearer'"),
        ({"Authorization": TOKEN}, "the Authorization header has no scheme"),
        ({"Authorization": "Bearer"}, "missing token after 'Bearer'"),
        ({"Authorization": "bearer wrong-token"}, "invalid API token"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "invalid API token"),
    ],
)
async def test_bad_or_missing_token_is_401(
    client: httpx.AsyncClient, api_runtime: Runtime, headers: dict[str, str], message: str
) -> None:
    response = await client.post("/api/leads", json=lead_payload(), headers=headers)
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert "Authorization: Bearer <API token>" in response.json()["detail"] or "invalid" in message
    assert TOKEN not in response.text  # a header without a scheme is not quoted back
    assert response.headers["www-authenticate"] == "Bearer"
    async with api_runtime.uow() as uow:
        assert (await uow.session.scalars(select(Lead.id))).all() == []


async def test_token_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/leads", content=b"{garbage")
    assert response.status_code == 401


async def test_no_token_configured_refuses_everyone(
    make_settings: SettingsFactory, clock: ManualClock
) -> None:
    runtime = Runtime.create(make_settings(products=PRODUCTS), clock=clock)
    try:
        async with _client(create_app(runtime)) as http:
            for headers in ({}, AUTH, {"Authorization": "Bearer "}):
                response = await http.post("/api/leads", json=lead_payload(), headers=headers)
                assert response.status_code == 401
                assert "API token is not configured" in response.json()["detail"]
    finally:
        await runtime.close()


async def test_duplicate_by_email_or_domain_is_held_and_staff_told(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    original = await client.post("/api/leads", json=lead_payload(), headers=AUTH)
    assert original.status_code == 201
    same_email = lead_payload(
        external_id="crm-2002",
        **{"company.domain": "other.example", "company.name": "Other GmbH"},
    )
    same_domain = lead_payload(
        external_id="crm-2003",
        **{
            "contact.email": "someone.else@brauerei-huber.de",
            "company.domain": "www.Brauerei-Huber.de",
        },
    )
    for payload in (same_email, same_domain):
        response = await client.post("/api/leads", json=payload, headers=AUTH)
        assert response.status_code == 201
        assert response.json()["status"] == "held"
        lead, _ = await _lead(api_runtime, response.json()["id"])
        assert lead.hold_reason is HoldReason.POSSIBLE_DUPLICATE
        assert lead.duplicate_of_id == original.json()["id"]
        assert "duplicate" in await _staff_events(api_runtime, lead.id)


async def test_no_consent_is_held_and_staff_told(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    payload = lead_payload(consent={"partner_contact": False})
    response = await client.post("/api/leads", json=payload, headers=AUTH)
    assert response.status_code == 201
    assert response.json()["status"] == "held"
    lead, _ = await _lead(api_runtime, response.json()["id"])
    assert lead.hold_reason is HoldReason.NO_CONSENT
    assert "held" in await _staff_events(api_runtime, lead.id)
    # The minimal lead from the OpenAPI example (consent absent) is held the same way.
    minimal = {
        "company": {"name": "Software Schmidt GmbH", "address": {"country": "DE"}},
        "contact": {"email": "leon@software-schmidt.example"},
        "interest": {"products": ["X200"]},
    }
    response = await client.post("/api/leads", json=minimal, headers=AUTH)
    assert (response.status_code, response.json()["status"]) == (201, "held")


async def test_logs_carry_no_personal_data_or_token(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.post("/api/leads?source=x", json=lead_payload(), headers=AUTH)
    await client.post("/api/leads", json=lead_payload(**{"contact.email": "bad"}), headers=AUTH)
    await client.post("/api/leads", json=lead_payload(), headers={"Authorization": "Bearer nope"})
    access = [r.getMessage() for r in caplog.records if r.name == "leadbot.http"]
    assert access[0].startswith("POST /api/leads 201 ")
    assert [line.split()[2] for line in access] == ["201", "422", "401"]
    # Everything the server side logged (the test's own HTTP client logs its URLs: skip it).
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for secret in (TOKEN, "nope", "Brauerei", "maria.huber", "Hopfenweg", "+49 89", "source=x"):
        assert secret not in text


async def test_healthz_ok(client: httpx.AsyncClient, api_runtime: Runtime) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["ok"] is True and database["revision"] == head_revision()
    assert database["backend"] == api_runtime.engine.dialect.name
    assert body["checks"]["redis"] == {"ok": True, "configured": False}
    head = await client.head("/healthz")  # as some load balancers ask
    assert head.status_code == 200 and head.content == b""


@pytest.mark.redis
async def test_healthz_with_redis(make_settings: SettingsFactory) -> None:
    from tests.support.databases import REDIS_URL

    runtime = Runtime.create(make_settings(redis={"url": REDIS_URL, "key_prefix": "lbtest:hz:"}))
    try:
        async with _client(create_app(runtime)) as http:
            response = await http.get("/healthz")
        assert response.status_code == 200
        assert response.json()["checks"]["redis"] == {"ok": True, "configured": True}
    finally:
        await runtime.close()


def _broken_settings(**env: str) -> Settings:
    environ = {"LEADBOT_DATABASE__URL": "sqlite:///:memory:", **env}
    return load_settings("/nonexistent-leadbot.toml", environ, must_exist=False)


@pytest.mark.parametrize(
    ("env", "failing", "code", "status"),
    [
        (
            {"LEADBOT_DATABASE__URL": "postgresql://lb:s3cret-pw@127.0.0.1:1/nowhere"},
            "database",
            503,
            "unavailable",
        ),
        # Without Redis the bot works on its fallbacks: degraded, not down.
        ({"LEADBOT_REDIS__URL": "redis://:s3cret-pw@127.0.0.1:1/0"}, "redis", 200, "degraded"),
    ],
)
async def test_healthz_names_the_failing_part_without_secrets(
    env: dict[str, str], failing: str, code: int, status: str, tmp_path: Any
) -> None:
    if failing == "redis":  # a working database, so only Redis fails
        from tests.support.databases import SqliteDatabases

        env = {**env, "LEADBOT_DATABASE__URL": SqliteDatabases(tmp_path).create(tmp_path)}
    runtime = Runtime.create(_broken_settings(**env))
    try:
        async with _client(create_app(runtime)) as http:
            response = await http.get("/healthz")
    finally:
        await runtime.close()
    assert response.status_code == code
    body = response.json()
    assert body["status"] == status
    assert body["checks"][failing]["ok"] is False
    assert body["checks"][failing]["error"]
    assert "s3cret-pw" not in response.text and "127.0.0.1" not in response.text
    if failing == "redis":
        assert body["parts"]["redis"]["state"] == "degraded"
        assert body["parts"]["redis"]["detail"].endswith("; using the database")


async def test_metrics(client: httpx.AsyncClient) -> None:
    await client.post("/api/leads", json=lead_payload(), headers=AUTH)
    await client.post("/api/leads", json=lead_payload(external_id="n2", consent={}), headers=AUTH)
    await client.post("/api/leads", json=lead_payload(), headers=AUTH)
    await client.post("/api/leads", json={}, headers=AUTH)
    await client.post("/api/leads", json={})
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = set(response.text.splitlines())
    assert 'leadbot_leads{status="offered"} 1' in lines
    assert 'leadbot_leads{status="held"} 1' in lines
    assert 'leadbot_leads{status="won"} 0' in lines
    assert 'leadbot_partners{active="true"} 1' in lines
    assert "leadbot_outbox_failed 0" in lines
    assert "leadbot_database_up 1" in lines
    pending = [line for line in lines if line.startswith("leadbot_outbox_pending ")]
    assert pending and int(pending[0].split()[1]) > 0
    for result, count in (("created", 2), ("existing", 1), ("invalid", 1), ("unauthorized", 1)):
        assert f'leadbot_api_leads_total{{result="{result}"}} {count}' in lines
    assert "# TYPE leadbot_api_leads_total counter" in lines
    assert "Brauerei" not in response.text


async def test_no_page_runs_scripts_from_another_origin(client: httpx.AsyncClient) -> None:
    """FastAPI's ``/docs`` (Swagger UI) and ``/redoc`` loaded their scripts from a CDN, in
    a floating version and without a content policy, onto the origin of the staff
    cockpit: such a script reads ``/cockpit`` pages with the staff member's cookie (the
    same origin) and can send the personal data anywhere. They are gone; the contract
    stays at ``/openapi.json``, for any viewer outside the server."""
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert "cdn.jsdelivr.net" not in page.text
    assert (await client.get("/openapi.json")).status_code == 200


async def test_openapi_documents_the_contract(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    schemas = doc["components"]["schemas"]
    lead = schemas["LeadIn"]
    assert set(lead["properties"]) == {
        "external_id",
        "campaign",
        "source",
        "score",
        "company",
        "contact",
        "interest",
        "consent",
    }
    assert set(lead["required"]) == {"company", "contact", "interest"}
    assert lead["additionalProperties"] is False
    assert lead["examples"][0]["company"]["name"]
    assert set(schemas["AddressIn"]["properties"]) == {
        "street",
        "postal_code",
        "city",
        "country",
        "lat",
        "lon",
    }
    assert set(schemas["ConsentIn"]["properties"]) >= {"partner_contact", "allowed_tiers"}
    post = doc["paths"]["/api/leads"]["post"]
    content = post["requestBody"]["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/LeadIn"}
    assert {"full", "minimal"} <= set(content["examples"])
    assert {"200", "201", "401", "422"} <= set(post["responses"])
    assert post["security"] == [{"HTTPBearer": []}]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for ref_holder in (post["responses"]["422"], post["responses"]["201"]):
        assert "content" in ref_holder
    assert "/healthz" in doc["paths"] and "/metrics" in doc["paths"]


async def test_extra_routers_and_mounts(api_runtime: Runtime) -> None:
    router = APIRouter()

    @router.post("/slack/events")
    async def slack_events() -> dict[str, str]:
        return {"handled": "slack"}

    async def telegram(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"telegram"})

    app = create_app(api_runtime, routers=[router], mounts=[("/telegram", telegram)])
    async with _client(app) as http:
        assert (await http.post("/slack/events")).json() == {"handled": "slack"}
        assert (await http.post("/telegram/webhook")).text == "telegram"
        assert (await http.get("/healthz")).status_code == 200


async def test_lead_is_offered_when_a_partner_fits(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    """The API goes through intake.receive: the first wave's teaser is queued."""
    response = await client.post("/api/leads", json=lead_payload(), headers=AUTH)
    lead_id = response.json()["id"]
    async with api_runtime.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.lead_id == lead_id, OutboxMessage.kind == "teaser"
                )
            )
        ).all()
    assert [row.address for row in rows] == ["partner:P1"]
    lead, _ = await _lead(api_runtime, lead_id)
    assert lead.status is LeadStatus.OFFERED


async def test_a_token_read_from_a_file_with_its_line_end_still_matches(
    database_url: str, clock: ManualClock
) -> None:
    """``LEADBOT_SERVER__API_TOKEN=$(cat token.txt)`` keeps no newline, but a Kubernetes
    secret or an env file may: the token around which blanks are left still matches (every
    request was a 401 with nothing saying why)."""
    environ = {"LEADBOT_DATABASE__URL": database_url, "LEADBOT_SERVER__API_TOKEN": f" {TOKEN}\n"}
    settings = load_settings("/nonexistent-leadbot.toml", environ, must_exist=False)
    runtime = Runtime.create(settings, clock=clock)
    try:
        async with _client(create_app(runtime)) as http:
            found = await http.get("/api/leads/999999", headers=AUTH)
    finally:
        await runtime.close()
    assert found.status_code == 404, found.text


async def test_a_lead_with_thousands_of_unknown_keys_gets_a_short_422(
    client: httpx.AsyncClient, api_runtime: Runtime
) -> None:
    """A megabyte of unknown keys is not answered with a 422 naming each of them."""
    payload = lead_payload(**{f"junk{i}": i for i in range(20_000)})
    response = await client.post("/api/leads", json=payload, headers=AUTH)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 51
    assert all(p["type"] == "extra_forbidden" for p in detail[:50])
    assert detail[-1]["type"] == "too_many_problems"
    assert detail[-1]["field"] == "body"
    assert detail[-1]["msg"].startswith("19,950 more problems not listed")
    assert len(response.content) < 10_000
    async with api_runtime.sessions() as session:
        assert await session.scalar(select(Lead.id)) is None


async def test_the_body_is_json_whatever_its_content_type(client: httpx.AsyncClient) -> None:
    """A CRM that forgets the header gets its lead stored; a form body is named as not JSON."""
    body = json.dumps(lead_payload(external_id="crm-plain")).encode()
    plain = await client.post(
        "/api/leads", content=body, headers=AUTH | {"Content-Type": "text/plain"}
    )
    assert plain.status_code == 201, plain.text
    form = await client.post(
        "/api/leads",
        content=b"external_id=crm-form&score=5",
        headers=AUTH | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 422
    [problem] = form.json()["detail"]
    assert problem["type"] == "json_invalid"
    assert problem["msg"].startswith("not valid JSON")
