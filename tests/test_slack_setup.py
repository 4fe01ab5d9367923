"""Starting the Slack app: required secrets, HTTP mode vs. Socket Mode, ``leadbot serve``."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import ConfigError
from bot.models import Platform
from bot.runtime import Runtime
from bot.web.parts import platform_parts
from tests.emulators.fixtures import SLACK_SIGNING_SECRET, SLACK_TOKEN
from tests.support.cli import leadbot

APP_TOKEN = "xapp-1-test-app-token"


def slack_runtime(make_settings, **slack: object) -> Runtime:
    settings = make_settings(slack={"enabled": True, **slack}, console={"enabled": False})
    return Runtime.create(settings)


async def test_http_mode_needs_bot_token_and_signing_secret(make_settings) -> None:
    runtime = slack_runtime(make_settings)
    try:
        with pytest.raises(ConfigError) as caught:
            platform_parts(runtime)
        assert "LEADBOT_SLACK__BOT_TOKEN and LEADBOT_SLACK__SIGNING_SECRET" in str(caught.value)
    finally:
        await runtime.close()


async def test_socket_mode_needs_the_app_token(make_settings) -> None:
    runtime = slack_runtime(
        make_settings, socket_mode=True, bot_token=SLACK_TOKEN, signing_secret=""
    )
    try:
        with pytest.raises(ConfigError, match="LEADBOT_SLACK__APP_TOKEN") as caught:
            platform_parts(runtime)
        assert "SIGNING_SECRET" not in str(caught.value)  # Socket Mode needs no signing secret
    finally:
        await runtime.close()


async def test_http_mode_serves_slack_events(make_settings) -> None:
    runtime = slack_runtime(
        make_settings, bot_token=SLACK_TOKEN, signing_secret=SLACK_SIGNING_SECRET
    )
    try:
        parts = platform_parts(runtime)
        paths = [route.path for router in parts.routers for route in router.routes]
        assert paths == ["/slack/events"]
        assert Platform.SLACK in parts.transports
        assert not any("socket" in getattr(job, "__name__", "") for job in parts.background)
    finally:
        await runtime.close()


async def test_socket_mode_connects_with_the_app_token_instead(
    make_settings, slack_emulator
) -> None:
    """Socket Mode is chosen: the job asks Slack (at ``[slack] api_url``, with the app
    token) for a connection and keeps it open (the presses over it:
    tests/test_slack_socket_mode.py)."""
    runtime = slack_runtime(
        make_settings,
        socket_mode=True,
        bot_token=SLACK_TOKEN,
        app_token=APP_TOKEN,
        api_url=slack_emulator.api_url,
    )
    try:
        parts = platform_parts(runtime)
        assert parts.routers == []
        [job] = [j for j in parts.background if j.__name__ == "slack-socket-mode"]
        task = asyncio.create_task(job())
        calls = await slack_emulator.wait_for_call_async("apps.connections.open", timeout=10)
        assert calls[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"
        await slack_emulator.wait_for_async(lambda: slack_emulator.socket_mode.connections)
        assert not task.done()  # connected, and it stays
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await runtime.close()


def test_serve_stops_with_a_clear_message_when_a_token_is_missing(database_url: str) -> None:
    result = leadbot(
        database_url,
        "serve",
        "--port",
        "0",
        LEADBOT_SLACK__ENABLED="true",
        LEADBOT_SLACK__SIGNING_SECRET="s3cret-signing",
    )
    assert result.exit_code == 2
    assert "LEADBOT_SLACK__BOT_TOKEN" in result.stderr
    assert "SIGNING_SECRET" not in result.stderr and "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_manifest_matches_what_the_app_serves() -> None:
    """``slack/manifest.yml`` is pasted into Slack as is: its URLs, command and event must be
    the ones the app handles, and it asks only for the scopes the app uses."""
    from pathlib import Path

    from bot.handlers.slack.app import EVENTS_PATH
    from bot.handlers.slack.commands import COMMAND

    text = (Path(__file__).resolve().parents[1] / "slack" / "manifest.yml").read_text()
    assert text.count(f"https://YOUR-HOST{EVENTS_PATH}") == 3  # events, interactivity, command
    assert f"- command: {COMMAND}\n" in text
    assert "- app_home_opened\n" in text and "home_tab_enabled: true" in text
    scopes = [
        line.strip()[2:].split()[0]
        for line in text.split("bot:\n", 1)[1].split("settings:", 1)[0].splitlines()
        if line.strip().startswith("- ")
    ]
    assert scopes == [
        "chat:write",
        "im:write",
        "commands",
        "files:write",  # the digest
        "users:read",  # with users:read.email: linking reps by e-mail
        "users:read.email",
        "channels:history",  # the outbox looks for a message before posting it again
        "groups:history",
        "im:history",
    ]
