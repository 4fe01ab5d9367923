"""Chat-platform emulators for tests: Slack Web API and Telegram Bot API over real HTTP.

The real ``slack_sdk`` / ``slack_bolt`` and ``python-telegram-bot`` clients talk to these on
127.0.0.1; drivers play the users. See docs/testing-emulators.md.
"""

from tests.emulators.slack import SlackDriver, SlackEmulator
from tests.emulators.telegram import TelegramDriver, TelegramEmulator

__all__ = ["SlackDriver", "SlackEmulator", "TelegramDriver", "TelegramEmulator"]
