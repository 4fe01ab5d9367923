"""Slack emulator: the Web API over HTTP, and a driver playing Slack's users.

    with SlackEmulator(token="xoxb-test", channels=["C1"], users=["U7"]) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        driver = slack.driver("http://127.0.0.1:PORT/slack/events", "signing-secret")

See docs/testing-emulators.md.
"""

from tests.emulators.slack.driver import DriverResponse, SlackDriver, sign
from tests.emulators.slack.models import Ephemeral, SlackMessage, SlackView
from tests.emulators.slack.server import SlackEmulator

__all__ = [
    "DriverResponse",
    "Ephemeral",
    "SlackDriver",
    "SlackEmulator",
    "SlackMessage",
    "SlackView",
    "sign",
]
