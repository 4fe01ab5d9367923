"""pytest fixtures for the emulators; registered for the whole suite by tests/conftest.py.

Each test gets fresh emulators on their own free ports, stopped afterwards. The fixed
tokens below are what the fixtures' emulators accept; pass them to the bot's settings
(``LEADBOT_SLACK__BOT_TOKEN`` etc.) in end-to-end tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import telegram
from slack_sdk.web.async_client import AsyncWebClient

from tests.emulators.base import EmulatorServer
from tests.emulators.slack import SlackEmulator
from tests.emulators.smtp import SmtpServer, running_smtp_server
from tests.emulators.telegram import TelegramEmulator

SLACK_TOKEN = "xoxb-test-token"
SLACK_SIGNING_SECRET = "test-signing-secret"
TELEGRAM_TOKEN = "123456789:TEST-token"
TELEGRAM_WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def slack_emulator() -> Iterator[SlackEmulator]:
    """A running Slack emulator accepting ``SLACK_TOKEN``; add channels/users as needed."""
    with SlackEmulator(token=SLACK_TOKEN) as emulator:
        yield emulator
    _no_internal_errors(emulator)


@pytest.fixture
def telegram_emulator() -> Iterator[TelegramEmulator]:
    """A running Telegram emulator for the bot ``TELEGRAM_TOKEN``."""
    with TelegramEmulator(token=TELEGRAM_TOKEN) as emulator:
        yield emulator
    _no_internal_errors(emulator)


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port, keeping every message it accepts."""
    async with running_smtp_server() as server:
        yield server


@pytest.fixture
def slack_client(slack_emulator: SlackEmulator) -> AsyncWebClient:
    """The real slack_sdk async client, pointed at the emulator."""
    return AsyncWebClient(token=SLACK_TOKEN, base_url=slack_emulator.api_url)


@pytest.fixture
async def telegram_bot(telegram_emulator: TelegramEmulator) -> AsyncIterator[telegram.Bot]:
    """The real python-telegram-bot ``Bot``, initialized against the emulator."""
    async with telegram.Bot(TELEGRAM_TOKEN, base_url=telegram_emulator.bot_api_url) as bot:
        yield bot


def _no_internal_errors(emulator: EmulatorServer) -> None:
    """Fail the test if the emulator itself crashed while serving it."""
    if emulator.internal_errors:
        pytest.fail("emulator bug:\n" + "\n".join(emulator.internal_errors), pytrace=False)
