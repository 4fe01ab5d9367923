"""Migration 0015 writes the external ids an older leadbot stored decomposed (NFD) in NFC.

Since ids are compared in NFC, a lead stored earlier as "Mu\\u0308ller" would be found only
by that spelling, and the CRM's next retry as "Müller" would have made a second lead. A
duplicate made before (both spellings stored) is left alone and named to the operator by
``leadbot migrate``. Through the CLI and the lead API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import httpx
from alembic import command

from bot.clock import ManualClock
from bot.migrate import alembic_config, head_revision
from bot.runtime import Runtime
from bot.web.api import create_app
from tests.conftest import SettingsFactory
from tests.support.cli import leadbot
from tests.support.factories import add_partner, lead_payload
from tests.support.migrations import sql_rows

TOKEN = "nfc-token-5e1a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]
ALONE = "crm-Müller-café"  # stored decomposed, no other spelling
TWICE = "crm-Straßenbäckerei-Köln"  # both spellings stored: a duplicate made before


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


async def test_decomposed_ids_become_nfc_and_a_duplicate_made_before_is_named(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(server={"api_token": TOKEN}, products=PRODUCTS)
    runtime = Runtime.create(settings, clock=clock)
    try:
        async with runtime.uow() as uow:
            await add_partner(uow, "P1", name="Alpen IT")
            await uow.commit()
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://leadbot") as http:
            ids = []
            for n, external_id in enumerate((ALONE, TWICE, "crm-twice-nfd-placeholder")):
                body = lead_payload(external_id=external_id, **{"contact.email": f"k{n}@x.example"})
                answer = await http.post("/api/leads", json=body, headers=AUTH)
                assert answer.status_code == 201, answer.text
                ids.append(answer.json()["id"])
            alone, twice_nfc, twice_nfd = ids

            # As an older leadbot stored them: before 0015, in the decomposed spelling.
            await runtime.engine.dispose()
            command.downgrade(alembic_config(database_url), "0014")
            for lead_id, external_id in ((alone, nfd(ALONE)), (twice_nfd, nfd(TWICE))):
                sql_rows(
                    database_url,
                    f"UPDATE leads SET external_id = '{external_id}' WHERE id = {lead_id}",
                )

            migrated = leadbot(database_url, "migrate")
            assert migrated.exit_code == 0, migrated.output
            assert f"Database migrated from 0014 to {head_revision()}." in migrated.output
            assert (
                f"leads {twice_nfc} and {twice_nfd} have the same external_id in two Unicode "
                "forms" in migrated.output
            )
            assert "Straß" not in migrated.output  # numbers only, no lead data

            stored = dict(sql_rows(database_url, "SELECT id, external_id FROM leads"))
            assert stored == {alone: ALONE, twice_nfc: TWICE, twice_nfd: nfd(TWICE)}
            # The CRM retries in the other spelling: the same lead, not a second one.
            retry = await http.post(
                "/api/leads", json=lead_payload(external_id=ALONE), headers=AUTH
            )
            assert (retry.status_code, retry.json()["id"]) == (200, alone)

            command.downgrade(alembic_config(database_url), "0014")  # changes nothing back
            assert dict(sql_rows(database_url, "SELECT id, external_id FROM leads")) == stored
    finally:
        await runtime.close()
