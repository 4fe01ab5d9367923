"""The Slack app over Socket Mode, end to end: the bot connects with its app token and
gets the presses over the WebSocket (tests/emulators/slack/socket_mode.py emulates it).

What a rep sees must be the same as over HTTP: a Claim press acknowledged at once (stored
first, bot/inbox), the outcome told through the ``response_url``, exactly one winner, the
lead card by DM — and a repeated envelope of the same press is answered once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.config import Settings
from tests.conftest import SettingsFactory
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack.socket_mode import SocketModeDriver
from tests.support.slack_world import PartnerSpec, slack_settings, slack_world

REPS = [
    PartnerSpec("P01", "C0001", "U0001", language="en"),
    PartnerSpec("P02", "C0002", "U0002", language="en"),
]


def socket_mode_settings(make_settings: SettingsFactory, slack_emulator: SlackEmulator) -> Settings:
    """The Slack app over Socket Mode: the emulator's app token, no signing secret."""
    return slack_settings(
        make_settings,
        slack_emulator,
        slack={
            "socket_mode": True,
            "app_token": slack_emulator.socket_mode.app_token,
            "signing_secret": None,
        },
    )


async def test_claims_over_socket_mode_are_acknowledged_decided_and_answered(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    settings = socket_mode_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        await slack_emulator.wait_for_async(
            lambda: slack_emulator.socket_mode.connections, 10, "the Socket Mode connection"
        )
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.teaser("C0002")
        driver = SocketModeDriver(slack_emulator)
        first = await driver.press_button("lead_claim", user="U0001", channel="C0001")
        second = await driver.press_button("lead_claim", user="U0002", channel="C0002")
        assert (first.status, second.status) == (200, 200)
        assert first.elapsed < 3 and second.elapsed < 3  # Slack's deadline for the ack
        repeated = await driver.post(first.raw, first.content_type, first.payload)
        assert repeated.status == 200

        await slack_emulator.wait_for_async(
            lambda: (
                any("is yours" in a.text for a in slack_emulator.ephemerals("C0001", "U0001"))
                and slack_emulator.ephemerals("C0002", "U0002")
            ),
            10,
            "both pressers told",
        )
        await world.settled()
        assert (await world.lead(lead_id)).status.value == "claimed"
        [taken] = slack_emulator.ephemerals("C0002", "U0002")
        assert "already been taken" in taken.text
        assert len(slack_emulator.ephemerals("C0001", "U0001")) == 1  # the repeat: once
        card = await slack_emulator.wait_for_async(lambda: slack_emulator.dm_messages("U0001"))
        assert "maria.huber@brauerei-huber.de" in card[0].all_text  # the lead card, by DM


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # not about the database
async def test_healthz_tells_while_the_socket_mode_connection_is_down(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    """Slack closes the connection and refuses new ones for a while (a restart on its side,
    a network cut): the task is ``degraded`` — "failing" — on ``/healthz`` until slack_sdk
    has reconnected, then ``ok`` again. It said ``ok`` throughout, while no press could
    arrive."""
    settings = socket_mode_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        hub = slack_emulator.socket_mode
        await slack_emulator.wait_for_async(lambda: hub.connections, 10, "the connection")
        await _until_task(world.bot.url, "ok")

        refused = slack_emulator.faults.fail("apps.connections.open", times=3, status=502)
        await asyncio.to_thread(hub.drop)
        task = await _until_task(world.bot.url, "degraded")
        assert task["detail"].startswith("failing: ") and "SocketModeDisconnected" in str(task)

        await slack_emulator.wait_for_async(
            lambda: refused.remaining == 0 and hub.connections, 40, "the reconnection"
        )
        await _until_task(world.bot.url, "ok")


async def _until_task(url: str, state: str, seconds: float = 30.0) -> dict[str, Any]:
    """The Socket Mode task's part of ``/healthz`` once it is in ``state``."""
    task: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(int(seconds * 5)):
            health = (await http.get(f"{url}/healthz")).json()
            task = health["parts"].get("task:slack-socket-mode", {})
            if task.get("state") == state:
                return task
            await asyncio.sleep(0.2)
    raise AssertionError(f"the Socket Mode task never became {state}: {task}")
