"""The assembled bot serves the API over real HTTP and delivers what it queues."""

from __future__ import annotations

import httpx

from bot.config import Settings
from tests.support.botserver import running_bot
from tests.support.factories import lead_payload

TOKEN = "e2e-token"


async def test_lead_posted_over_http_is_stored_and_answered(make_settings) -> None:
    settings: Settings = make_settings(
        server={"api_token": TOKEN}, products=[{"id": "X200", "line": "X-series"}]
    )
    async with running_bot(settings) as bot, httpx.AsyncClient(base_url=bot.url) as http:
        created = await http.post(
            "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {TOKEN}"}
        )
        again = await http.post(
            "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {TOKEN}"}
        )
        health = await http.get("/healthz")
    assert created.status_code == 201
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert health.status_code == 200
