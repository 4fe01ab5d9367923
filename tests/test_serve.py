"""``leadbot serve`` as a real process on a free port, and the app's lifespan under uvicorn."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn

from bot.runtime import Runtime
from bot.web.api import create_app
from tests.support.factories import lead_payload
from tests.support.serveproc import STARTUP_TIMEOUT, serve

TOKEN = "serve-token-51c2"


def test_serve_takes_leads_and_stops_cleanly_on_sigterm(database_url: str) -> None:
    with serve(database_url, "--log-level", "debug", LEADBOT_SERVER__API_TOKEN=TOKEN) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            health = http.get("/healthz")
            created = http.post(
                "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {TOKEN}"}
            )
            again = http.post(
                "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {TOKEN}"}
            )
            metrics = http.get("/metrics")
        code = server.stop(signal.SIGTERM)

    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert created.status_code == 201
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert 'leadbot_api_leads_total{result="created"} 1' in metrics.text
    assert code == 0, server.output
    assert "leadbot: stopped" in server.output
    assert "console platform is enabled" in server.output  # bot.toml switches the console on
    assert "no API token" not in server.output
    assert "the API token (LEADBOT_SERVER__API_TOKEN) is only" not in server.output
    assert "POST /api/leads 201" in server.output  # our access log...
    for secret in (TOKEN, "Brauerei", "maria.huber", "Hopfenweg"):  # ...and nothing personal
        assert secret not in server.output


def test_serve_without_token_warns_and_refuses(database_url: str) -> None:
    with serve(database_url, LEADBOT_CONSOLE__ENABLED="false") as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            response = http.post("/api/leads", json=lead_payload())
        code = server.stop(signal.SIGINT)
    assert response.status_code == 401
    assert "API token is not configured" in response.json()["detail"]
    assert "no API token: set LEADBOT_SERVER__API_TOKEN" in server.output
    assert "console platform" not in server.output
    assert code == 0, server.output
    assert "Traceback" not in server.output


def test_serve_warns_about_an_api_token_that_can_be_guessed(database_url: str) -> None:
    """The API token takes leads and reads and erases them, and 401s are not limited: a
    token of a few characters is found by trying. Nothing said so; now ``serve`` warns at
    start (without showing the token), and the token still works."""
    short = "t0k3n"
    with serve(database_url, LEADBOT_SERVER__API_TOKEN=short) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            auth = {"Authorization": f"Bearer {short}"}
            response = http.post("/api/leads", json=lead_payload(), headers=auth)
        code = server.stop(signal.SIGTERM)
    assert response.status_code == 201
    assert (
        "leadbot: warning: the API token (LEADBOT_SERVER__API_TOKEN) is only 5 characters "
        "long" in server.output
    )
    assert short not in server.output
    assert code == 0, server.output


async def test_lifespan_runs_background_tasks_and_contexts(runtime: Runtime) -> None:
    """Under a real uvicorn: contexts entered, loops started, and both undone at shutdown."""
    events: list[str] = []
    started = asyncio.Event()

    async def loop() -> None:
        events.append("loop started")
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("loop cancelled")
            raise

    @asynccontextmanager
    async def client_session() -> AsyncIterator[None]:
        events.append("entered")
        yield
        events.append("exited")

    app = create_app(runtime, background=[loop], contexts=[client_session])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await asyncio.wait_for(started.wait(), STARTUP_TIMEOUT)
        while not server.started:
            await asyncio.sleep(0.01)
        port = sock.getsockname()[1]
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
        assert events == ["entered", "loop started"]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, STARTUP_TIMEOUT)
        sock.close()
    assert events == ["entered", "loop started", "loop cancelled", "exited"]


def test_serve_refuses_a_busy_port(database_url: str) -> None:
    from tests.support.cli import leadbot

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = leadbot(database_url, "serve", "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
