"""The read and erase API, over HTTP (httpx + ASGI) on both databases.

A CRM follows its leads (``GET /api/leads/{id}``, ``?external_id=``), erases them
(``DELETE``), and an erased lead stays erased: the same external_id is ``410`` for the API
and skipped by ``leadbot leads import``; the same contact e-mail is held for staff. A dump
of every table afterwards holds none of the lead's personal data.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select, text

from bot.clock import ManualClock
from bot.db import create_engine_sync
from bot.delivery.notices import TeaserView
from bot.delivery.sender import OutboxSender
from bot.models import Lead, LeadStatus, Offer, Platform
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cli import config_file, leadbot_process
from tests.support.factories import add_partner, lead_payload
from tests.support.recording import RecordingTransport
from tests.support.teaser_renderers import TEASER_RENDERERS

TOKEN = "crm-token-5b1e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
PERSONAL = (  # every identifying value of lead_payload()
    "Brauerei Huber",
    "brauerei-huber.de",
    "Hopfenweg",
    "80331",
    "München",
    "Maria Huber",
    "maria.huber",
    "1234567",
    "Head of IT",
    "Please call after 10am",
    "crm-1001",
)


@pytest.fixture
async def runtime(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Runtime]:
    # A webhook endpoint, so the webhook outbox holds payloads too (nothing is sent here).
    hook = {"name": "crm", "url": "https://crm.example/hook", "secret_env": "CRM_SECRET"}
    settings = make_settings(server={"api_token": TOKEN}, products=PRODUCTS, webhooks=[hook])
    rt = Runtime.create(settings, clock=clock)
    async with rt.uow() as uow:
        await add_partner(uow, "P1", name="Alpen IT")
        await uow.commit()
    yield rt
    await rt.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        yield http


async def _post(client: httpx.AsyncClient, **overrides: Any) -> httpx.Response:
    return await client.post("/api/leads", json=lead_payload(**overrides), headers=AUTH)


async def test_a_lead_reads_back_with_state_owner_and_trail_but_no_personal_data(
    client: httpx.AsyncClient,
) -> None:
    created = await _post(client)
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]

    by_id = await client.get(f"/api/leads/{lead_id}", headers=AUTH)
    assert by_id.status_code == 200, by_id.text
    lead = by_id.json()
    assert lead["id"] == lead_id and lead["external_id"] == "crm-1001"
    assert lead["status"] == "offered" and lead["campaign"] == "Hannover Messe 2026"
    assert lead["partner"] is None and lead["rep"] is None and lead["revenue_eur"] is None
    trail = [(e["kind"], e["to_status"], e["actor"]["kind"], e["channel"]) for e in lead["events"]]
    assert trail[:2] == [
        ("received", "received", "system", "api"),
        ("status", "offered", "system", "api"),
    ]
    assert not [value for value in PERSONAL[:-1] if value in by_id.text]

    by_external = await client.get("/api/leads", params={"external_id": "crm-1001"}, headers=AUTH)
    assert by_external.status_code == 200 and by_external.json() == lead
    # Trimmed as POST trims it: a byte order mark or zero-width space at an end is not part
    # of the id, so the lead is found by the very value the CRM sent.
    padded = {"external_id": "\ufeffcrm-1001\u200b"}
    assert (await client.get("/api/leads", params=padded, headers=AUTH)).json() == lead


async def test_unknown_and_malformed_ids_are_named(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/leads/999", headers=AUTH)
    assert missing.status_code == 404 and missing.json() == {"detail": "lead 999 does not exist"}
    unknown = await client.get("/api/leads", params={"external_id": "nope"}, headers=AUTH)
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    metrics = (await client.get("/metrics")).text.splitlines()
    assert 'leadbot_api_crm_total{result="not_found"} 2' in metrics
    assert 'leadbot_api_leads_total{result="invalid"} 0' in metrics  # POST's own counter
    bad = await client.get("/api/leads/abc", headers=AUTH)
    assert bad.status_code == 422
    [problem] = bad.json()["detail"]
    assert problem["loc"] == ["path", "lead_id"] and "lead id" in problem["msg"]
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "xyz"}, "cursor"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-03-01T10:00:00"}, "updated_since"),  # no time zone
        ({"updated_since": "0001-01-01T00:00:00+01:00"}, "updated_since"),  # no UTC time
        ({"updated_since": "9999-12-31T23:59:59-01:00"}, "updated_since"),
        ({"updated_since": "2026-12-01T24:00:00+24:00"}, "updated_since"),
        ({"external_id": "a\x00b"}, "external_id"),  # PostgreSQL refuses NUL with a 500
        ({"external_id": "crm\x1b[1m"}, "external_id"),
        ({"external_id": "\u200b"}, "external_id"),  # nothing visible: blank
        ({"status": "won"}, "status"),
    ):
        answer = await client.get("/api/leads", params=params, headers=AUTH)
        assert answer.status_code == 422, (params, answer.text)
        assert [p["field"] for p in answer.json()["detail"]] == [field]
    hour_24 = {"updated_since": "2026-12-01T24:00:00+24:00"}
    [named] = (await client.get("/api/leads", params=hour_24, headers=AUTH)).json()["detail"]
    assert named["msg"].startswith("not a valid time: hour 24 (allowed 00–23; midnight is 00:00)")
    assert (await client.get("/api/leads/1")).status_code == 401
    assert (await client.delete("/api/leads/1")).status_code == 401
    for method in ("GET", "DELETE"):  # a wrong scheme is named, not taken for no token
        wrong = await client.request(method, "/api/leads/1", headers={"Authorization": "Token a"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert wrong.json()["detail"].startswith("wrong authorization scheme: expected 'Bearer'")


async def test_an_unmatched_lead_names_the_allowed_partners_that_are_not_partners(
    client: httpx.AsyncClient,
) -> None:
    """A typo in the CRM's consent mapping would leave the lead unmatched without a word."""
    typo = await _post(
        client, external_id="crm-t1", **{"consent.allowed_partners": ["P1-typo", "P1"]}
    )
    assert typo.status_code == 201, typo.text
    assert typo.json()["status"] == "offered"  # P1 is named and fits: no warning needed
    assert typo.json()["warnings"] == []
    nobody = await _post(
        client,
        external_id="crm-t2",
        **{
            "consent.allowed_partners": ["P9"],
            "contact.email": "y@brau-9.example",
            "company.domain": "brau-9.example",
            "company.name": "Brauerei Neun GmbH",
        },
    )
    assert nobody.status_code == 201 and nobody.json()["status"] == "unmatched"
    [warning] = nobody.json()["warnings"]
    assert warning["field"] == "consent.allowed_partners"
    assert warning["type"] == "unknown_partner"
    assert warning["msg"].startswith("'P9': not an active partner; the lead may go to")


async def test_consent_names_partners_regardless_of_case(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Partner ids are unique regardless of case (the partners import says so): a CRM that
    writes "p1" for P1 means P1 — the lead goes to it, without a warning."""
    named = await _post(client, external_id="crm-c1", **{"consent.allowed_partners": ["p1"]})
    assert named.status_code == 201, named.text
    assert (named.json()["status"], named.json()["warnings"]) == ("offered", [])
    async with runtime.uow() as uow:
        offered = await uow.session.scalars(
            select(Offer.partner_id).where(Offer.lead_id == named.json()["id"])
        )
        assert offered.all() == ["P1"]


async def test_consent_given_in_the_future_is_kept_and_said(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A German time sent as UTC (``Z``) is an hour after the lead arrived: stored as given
    (the consent is the person's, only its time is off) and the answer says so; a clock a
    few minutes ahead is no mistake of the sender."""
    now = runtime.clock.now()
    local = now.astimezone(timezone(timedelta(hours=1))).replace(tzinfo=None)
    created = await _post(client, **{"consent.given_at": local.isoformat() + "Z"})
    assert created.status_code == 201, created.text
    [warning] = created.json()["warnings"]
    assert (warning["field"], warning["type"]) == ("consent.given_at", "kept_as_given")
    assert warning["msg"] == (
        f"{local:%Y-%m-%dT%H:%M:%S}Z is 60 minutes after the lead arrived; kept as given — "
        "is the time zone right?"
    )
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, created.json()["id"])
    assert lead is not None and lead.consent_given_at == local.replace(tzinfo=UTC)

    skew = (now + timedelta(minutes=5)).isoformat()
    other = {"contact.email": "y@brau-2.example", "company.domain": "brau-2.example"}
    fine = await _post(client, external_id="crm-2", **other, **{"consent.given_at": skew})
    assert fine.status_code == 201 and fine.json()["warnings"] == [], fine.text


async def test_loose_timeline_and_industry_are_kept_and_teasers_show_a_band(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await _post(
        client, **{"interest.timeline": "Q1 2027", "company.industry": "Craft Brewing"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "offered"
    assert [(w["field"], w["type"]) for w in body["warnings"]] == [
        ("interest.timeline", "kept_as_given"),
        ("company.industry", "kept_as_given"),
    ]
    assert "'12_months'" in body["warnings"][0]["msg"]  # 2026-03-02 -> Q1 2027
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, body["id"])
    assert lead is not None and lead.timeline == "Q1 2027" and lead.industry == "Craft Brewing"

    transport = RecordingTransport()
    await OutboxSender(runtime, {Platform.CONSOLE: transport}).flush()
    [teaser] = [d.view for d in transport.deliveries if isinstance(d.view, TeaserView)]
    assert teaser.facts.timeline == "12_months" and teaser.facts.industry == "other"
    for platform, render in TEASER_RENDERERS.items():
        shown = json.dumps(render(teaser), ensure_ascii=False)
        assert "innerhalb 12 Monaten" in shown, platform  # the partner's language: German
        assert "Q1 2027" not in shown and "Brewing" not in shown, platform

    known = await _post(client, external_id="crm-2", **{"contact.email": "x@brau-2.example"})
    assert known.status_code == 201 and known.json()["warnings"] == []

    # Loose is not lax: the text rules of every field still hold, and nothing is stored.
    for timeline, problem in (
        ("Q1\u00002027", "control character"),
        (2027, "string"),
        ("x" * 101, "at most 100 characters"),
    ):
        refused = await _post(client, external_id="crm-3", **{"interest.timeline": timeline})
        assert refused.status_code == 422, refused.text
        [detail] = refused.json()["detail"]
        assert detail["field"] == "interest.timeline" and problem in detail["msg"], detail


def _dump(database_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            rows = [
                f"{table}: {row}"
                for table in tables
                for row in conn.execute(text(f'SELECT * FROM "{table}"')).all()
            ]
    finally:
        engine.dispose()
    return "\n".join(rows)


async def test_an_erased_lead_is_no_longer_shown_as_held(client: httpx.AsyncClient) -> None:
    await _post(client)
    held = (await _post(client, external_id="crm-1002")).json()  # the same prospect again
    assert held["status"] == "held"
    shown = (await client.get(f"/api/leads/{held['id']}", headers=AUTH)).json()
    assert shown["hold_reason"] == "possible_duplicate"
    gone = (await client.delete(f"/api/leads/{held['id']}", headers=AUTH)).json()
    assert gone["status"] == "erased" and gone["hold_reason"] is None


async def test_erased_by_api_stays_erased_and_no_personal_data_is_stored(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    lead_id = (await _post(client)).json()["id"]
    before = _dump(database_url)
    assert "maria.huber@brauerei-huber.de" in before and "crm-1001" in before
    assert "webhook_deliveries: " in before  # lead.received and lead.offered, with crm-1001

    erased = await client.delete(f"/api/leads/{lead_id}", headers=AUTH)
    assert erased.status_code == 200, erased.text
    assert erased.json()["status"] == "erased" and erased.json()["external_id"] is None
    assert erased.json()["events"][-1]["to_status"] == "erased"
    again = await client.delete(f"/api/leads/{lead_id}", headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "erased"

    # The same lead again: refused through the API, skipped by the import.
    reposted = await _post(client)
    assert reposted.status_code == 410
    assert reposted.json()["detail"].startswith(
        f"external_id 'crm-1001' belonged to lead {lead_id}"
    )
    looked_up = await client.get("/api/leads", params={"external_id": "crm-1001"}, headers=AUTH)
    assert looked_up.status_code == 410
    by_external = await client.delete(
        "/api/leads", params={"external_id": "crm-1001"}, headers=AUTH
    )
    assert by_external.status_code == 410

    leads_file = tmp_path / "leads.json"
    leads_file.write_text(json.dumps([lead_payload()]), encoding="utf-8")
    imported = leadbot_process(
        "leads", "import", str(leads_file), config=config_file(tmp_path, database_url)
    )
    assert imported.returncode == 0, imported.stderr
    assert f"skipped [0] (line 1): external_id 'crm-1001' belonged to lead {lead_id}" in (
        imported.stderr
    )
    assert "1 lead: 1 skipped" in imported.stdout

    after = _dump(database_url)
    for value in PERSONAL:
        assert value.lower() not in after.lower(), f"{value!r} is still stored"
    async with runtime.uow() as uow:
        statuses = (await uow.session.scalars(select(Lead.status))).all()
    assert statuses == [LeadStatus.ERASED]  # nothing came back

    # A new external_id with the erased lead's e-mail: taken in, but held for staff.
    fresh = await _post(client, external_id="crm-7777", **{"company.domain": "other.example"})
    assert fresh.status_code == 201 and fresh.json()["status"] == "held"
    held = (await client.get(f"/api/leads/{fresh.json()['id']}", headers=AUTH)).json()
    assert held["hold_reason"] == "previously_erased"
    assert held["events"][-1]["detail"] == {"reason": "previously_erased"}


async def test_delete_by_external_id_erases_and_unknown_is_404(client: httpx.AsyncClient) -> None:
    lead_id = (await _post(client, external_id="crm-55")).json()["id"]
    missing = await client.delete("/api/leads", params={"external_id": "crm-56"}, headers=AUTH)
    assert missing.status_code == 404
    without = await client.delete("/api/leads", headers=AUTH)
    assert without.status_code == 422 and without.json()["detail"][0]["field"] == "external_id"
    for bad in ("a\x00b", "crm-55\x00"):
        refused = await client.delete("/api/leads", params={"external_id": bad}, headers=AUTH)
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["field"] == "external_id" and "U+0000" in problem["msg"]
    erased = await client.delete("/api/leads", params={"external_id": "crm-55"}, headers=AUTH)
    assert erased.status_code == 200 and erased.json()["id"] == lead_id
    assert erased.json()["status"] == "erased"
    assert (await client.delete("/api/leads/4242", headers=AUTH)).status_code == 404


async def test_a_long_external_id_is_quoted_back_shortened(client: httpx.AsyncClient) -> None:
    """An error names the value it refers to by its start and length, not all of it."""
    long_id = "crm-" + "7" * 196
    for method in ("GET", "DELETE"):
        missing = await client.request(
            method, "/api/leads", params={"external_id": long_id}, headers=AUTH
        )
        assert missing.status_code == 404, missing.text
        assert missing.json()["detail"] == (
            f"no lead has external_id {long_id[:60]!r}… (200 characters)"
        )
    short = await client.get("/api/leads", params={"external_id": "crm-9"}, headers=AUTH)
    assert short.json()["detail"] == "no lead has external_id 'crm-9'"  # short: whole


async def test_a_cursor_from_another_database_is_refused_not_answered_empty(
    client: httpx.AsyncClient,
) -> None:
    """A CRM that keeps its cursor while leadbot moves to a new database (staging to
    production, a restore from a backup) would get empty pages until the new change
    numbers passed the old cursor — every lead before that skipped without a word."""
    stored = (await _post(client)).json()["id"]
    page = (await client.get("/api/leads", headers=AUTH)).json()
    assert [item["id"] for item in page["items"]] == [stored]
    change = int(page["next_cursor"].split(".")[0])

    ahead = await client.get("/api/leads", params={"cursor": f"{change + 1}.1"}, headers=AUTH)
    assert ahead.status_code == 409, ahead.text
    detail = ahead.json()["detail"]
    assert detail.startswith("cursor: ")
    assert f"ahead of every change here (the latest is {change})" in detail
    assert "start again with updated_since" in detail

    # Every cursor this database gave out still works, the end position included.
    again = await client.get("/api/leads", params={"cursor": page["next_cursor"]}, headers=AUTH)
    assert again.status_code == 200 and again.json()["items"] == []


async def test_a_trailing_slash_is_the_same_endpoint_not_a_bodiless_redirect(
    client: httpx.AsyncClient,
) -> None:
    """A ``307`` to the path without the slash lost a CRM's POST body on many clients."""
    created = await client.post("/api/leads/", json=lead_payload(), headers=AUTH)
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    again = await client.post("/api/leads//", json=lead_payload(), headers=AUTH)
    assert (again.status_code, again.json()["id"]) == (200, lead_id)
    by_id = await client.get(f"/api/leads/{lead_id}/", headers=AUTH)
    assert by_id.status_code == 200 and by_id.json()["external_id"] == "crm-1001"
    listed = await client.get("/api/leads/", params={"external_id": "crm-1001"}, headers=AUTH)
    assert listed.status_code == 200 and listed.json()["id"] == lead_id
    for path in ("/healthz/", "/metrics/", "/openapi.json/"):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get(f"/api/leads/{lead_id}/", headers={})).status_code == 401
    erased = await client.delete(f"/api/leads/{lead_id}/", headers=AUTH)
    assert erased.status_code == 200 and erased.json()["status"] == "erased"
    # Pages for people keep the redirect: a browser follows it.
    assert (await client.get("/cockpit/")).status_code in (302, 303, 307)
