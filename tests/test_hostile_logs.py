"""What ``leadbot serve`` writes to its log when the input is hostile — the real process.

* ``--log-level debug`` with Slack and Telegram connected (to the emulators) shows none of
  the secrets (the Telegram bot token used to be in the Bot API URL that python-telegram-bot
  logs) and nothing of a lead's personal data;
* a request path with ``%0a`` cannot forge a log line, nor ``%1b`` an escape sequence;
* a client that hangs up in the middle of its body is one quiet line, not an ERROR
  traceback and not a logged ``500``.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx

from tests.emulators.fixtures import (
    SLACK_SIGNING_SECRET,
    SLACK_TOKEN,
    TELEGRAM_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
)
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.support.factories import lead_payload
from tests.test_serve import serve

TOKEN = "hostile-serve-token-8d2f"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PERSONAL = ("Brauerei", "maria.huber", "Hopfenweg", "1234567", "Please call")
FORGED = "2026-01-01 00:00:00,000 INFO leadbot.http: FORGED 200 1ms"


def _raw(url: str, request: bytes) -> None:
    """Send ``request`` as is on a fresh connection and hang up without reading."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)


def test_debug_log_has_no_secret_and_no_personal_data(database_url: str) -> None:
    with (
        SlackEmulator(token=SLACK_TOKEN) as slack,
        TelegramEmulator(token=TELEGRAM_TOKEN) as telegram,
        serve(
            database_url,
            "--log-level",
            "debug",
            LEADBOT_SERVER__API_TOKEN=TOKEN,
            LEADBOT_CONSOLE__ENABLED="false",
            LEADBOT_SLACK__ENABLED="true",
            LEADBOT_SLACK__API_URL=slack.api_url,
            LEADBOT_SLACK__BOT_TOKEN=SLACK_TOKEN,
            LEADBOT_SLACK__SIGNING_SECRET=SLACK_SIGNING_SECRET,
            LEADBOT_TELEGRAM__ENABLED="true",
            LEADBOT_TELEGRAM__API_URL=telegram.bot_api_url,
            LEADBOT_TELEGRAM__TOKEN=TELEGRAM_TOKEN,
            LEADBOT_TELEGRAM__WEBHOOK_SECRET=TELEGRAM_WEBHOOK_SECRET,
            LEADBOT_TELEGRAM__WEBHOOK_URL="https://leadbot.example/telegram/webhook",
        ) as server,
    ):
        with httpx.Client(base_url=server.url, timeout=30) as http:
            created = http.post("/api/leads", json=lead_payload(), headers=AUTH)
            stale = http.post(  # a late-signed press with personal data in it
                "/slack/events",
                content=b"payload=" + " ".join(PERSONAL).encode(),
                headers={
                    "X-Slack-Request-Timestamp": str(int(time.time()) - 3600),
                    "X-Slack-Signature": "v0=" + "0" * 64,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        code = server.stop(2)  # SIGINT
    assert created.status_code == 201, created.text
    assert stale.status_code == 401
    assert code == 0, server.output
    assert "telegram bot @leadbot_test_bot ready" in server.output  # Telegram really ran
    assert "POST /api/leads 201" in server.output and "DEBUG" in server.output
    for secret in (TOKEN, SLACK_TOKEN, SLACK_SIGNING_SECRET, TELEGRAM_TOKEN, "TEST-token"):
        assert secret not in server.output, f"{secret!r} is in the log"
    assert TELEGRAM_WEBHOOK_SECRET not in server.output
    for word in PERSONAL:
        assert word not in server.output, f"{word!r} is in the log"
    assert "slack: refused a request (401: the timestamp is more than 5 minutes off)" in (
        server.output
    )


def test_hostile_paths_and_hang_ups_leave_a_clean_log(database_url: str) -> None:
    with serve(database_url, "--log-level", "debug", LEADBOT_SERVER__API_TOKEN=TOKEN) as server:
        forged = "/x%0a" + FORGED.replace(" ", "%20") + "%1b[2J"
        _raw(server.url, f"GET {forged} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        body = lead_payload(**{"company.name": "Zebrafink GmbH"})
        for _ in range(5):  # the header promises 1,000 bytes; 40 arrive, then the hang-up
            _raw(
                server.url,
                b"POST /api/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n".encode()
                + str(body).encode()[:40],
            )
        with httpx.Client(base_url=server.url, timeout=30) as http:
            after = http.post("/api/leads", json=lead_payload(), headers=AUTH)
        code = server.stop(15)  # SIGTERM
    assert after.status_code == 201
    assert code == 0, server.output
    lines = server.output.splitlines()
    assert not [line for line in lines if line.startswith("2026-01-01")], server.output
    assert "GET /x\\n2026-01-01 00:00:00,000 INFO leadbot.http: FORGED" in server.output
    assert "\x1b" not in server.output and "\\x1b[2J" in server.output
    hang_ups = [line for line in lines if "POST /api/leads client-disconnected" in line]
    assert len(hang_ups) == 5, server.output
    assert all(" INFO leadbot.http: " in line for line in hang_ups)
    for bad in ("Traceback", "ERROR", " 500 ", "Zebrafink"):
        assert bad not in server.output, f"{bad!r} in:\n{server.output}"
