"""An ``external_id`` is one id however Unicode spells it: compared, stored and answered in NFC.

``café`` typed on one system is ``caf`` + U+00E9 (NFC), copied from another (macOS, many web
forms) ``cafe`` + U+0301 (NFD). Both look the same to the CRM's users, and were two leads:
a retry from the other system stored the lead again. Through HTTP, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.clock import ManualClock
from bot.models import Lead
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.factories import add_partner, lead_payload

TOKEN = "forms-token-3c9d"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
COMPOSED = "crm-Müller-café"  # NFC: ü and é are one character each
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


@pytest.fixture
async def runtime(make_settings: SettingsFactory, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = Runtime.create(make_settings(server={"api_token": TOKEN}, products=PRODUCTS), clock=clock)
    async with rt.uow() as uow:
        await add_partner(uow, "P1", name="Alpen IT")
        await uow.commit()
    yield rt
    await rt.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
        yield http


async def _post(client: httpx.AsyncClient, external_id: str, **overrides: Any) -> httpx.Response:
    body = lead_payload(external_id=external_id, **overrides)
    return await client.post("/api/leads", json=body, headers=AUTH)


async def _leads(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Lead)))


async def test_nfc_and_nfd_spellings_of_an_id_are_one_lead(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert COMPOSED != DECOMPOSED
    first = await _post(client, DECOMPOSED)
    assert first.status_code == 201, first.text
    lead_id = first.json()["id"]
    # The other spelling, from another system with another contact: the same lead (200).
    again = await _post(client, COMPOSED, **{"contact.email": "einkauf@mueller.example"})
    assert (again.status_code, again.json()["id"]) == (200, lead_id)
    assert await _leads(runtime) == 1
    for spelling in (COMPOSED, DECOMPOSED):
        found = await client.get("/api/leads", params={"external_id": spelling}, headers=AUTH)
        assert found.status_code == 200 and found.json()["id"] == lead_id
        assert found.json()["external_id"] == COMPOSED  # stored and answered in NFC
    erased = await client.delete("/api/leads", params={"external_id": COMPOSED}, headers=AUTH)
    assert erased.status_code == 200 and erased.json()["status"] == "erased"
    for spelling in (COMPOSED, DECOMPOSED):
        assert (await _post(client, spelling)).status_code == 410
    assert await _leads(runtime) == 1


async def test_an_id_erased_in_its_decomposed_form_before_stays_erased(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A lead stored before ids were normalised kept the NFD form, and its tombstone is
    of that form: the id sent again in either spelling must not bring it back."""
    lead_id = (await _post(client, COMPOSED)).json()["id"]
    async with runtime.uow() as uow:  # as an older leadbot stored it
        await uow.session.execute(
            update(Lead).where(Lead.id == lead_id).values(external_id=DECOMPOSED)
        )
        await uow.commit()
    assert (await client.delete(f"/api/leads/{lead_id}", headers=AUTH)).status_code == 200
    for spelling in (COMPOSED, DECOMPOSED):
        answer = await _post(client, spelling, **{"contact.email": "neu@mueller.example"})
        assert answer.status_code == 410, answer.text
    assert await _leads(runtime) == 1


async def test_an_id_longer_than_200_characters_in_nfc_is_422_not_500(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """U+0958 is one character as sent and two in NFC: 150 of them are 300 to store."""
    answer = await _post(client, "\u0958" * 150)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["field"] == "external_id"
    assert problem["msg"] == "must be at most 200 characters in Unicode NFC (this one has 300)"
    lookup = await client.get("/api/leads", params={"external_id": "\u0958" * 150}, headers=AUTH)
    assert lookup.status_code == 422 and lookup.json()["detail"][0]["field"] == "external_id"
    assert await _leads(runtime) == 0
