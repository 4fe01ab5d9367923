"""Settings of the chat platforms, the e-mail channel and the manufacturer's staff."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from bot.config.base import Mismatch, Section, secret_field
from bot.mailaddress import length_problem
from bot.plaintext import quoted


class SlackSettings(Section):
    enabled: bool = False
    api_url: str = "https://slack.com/api/"
    staff_channel: str = ""
    socket_mode: bool = False
    per_channel_per_second: float = Field(default=1.0, gt=0)
    burst: int = Field(default=3, ge=1)
    # Slack's ceiling for one app in one workspace: "several hundred messages per minute",
    # with generous bursts (docs/slack.md); shared by every channel.
    workspace_per_second: float = Field(default=10.0, gt=0)
    workspace_burst: int = Field(default=600, ge=1)
    bot_token: SecretStr | None = secret_field("LEADBOT_SLACK__BOT_TOKEN")
    signing_secret: SecretStr | None = secret_field("LEADBOT_SLACK__SIGNING_SECRET")
    app_token: SecretStr | None = secret_field("LEADBOT_SLACK__APP_TOKEN")


class TelegramSettings(Section):
    enabled: bool = False
    api_url: str = "https://api.telegram.org/bot"
    staff_chat_id: int = 0
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_url: str = ""

    @model_validator(mode="after")
    def _https_webhook(self) -> TelegramSettings:
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError(
                    f"webhook_url: Telegram delivers only to an https:// URL with a host, "
                    f"not {quoted(self.webhook_url)}"
                )
        return self

    bot_username: str = ""
    link_code_hours: int = Field(
        default=72, ge=1, le=24 * 90, description="a reps invite code is valid"
    )
    poll_timeout_seconds: int = Field(default=30, ge=0, le=300, description="getUpdates wait")
    # Flood limits (docs/telegram.md): Telegram allows about 30 messages per second in all,
    # about one per second per chat and 20 per minute per group; stay a little below.
    global_per_second: float = Field(default=25.0, gt=0)
    chat_per_second: float = Field(default=1.0, gt=0)
    chat_burst: int = Field(default=3, ge=1)
    group_per_minute: float = Field(default=20.0, gt=0)
    group_burst: int = Field(default=10, ge=1)
    token: SecretStr | None = secret_field("LEADBOT_TELEGRAM__TOKEN")
    webhook_secret: SecretStr | None = secret_field("LEADBOT_TELEGRAM__WEBHOOK_SECRET")


class EmailSettings(Section):
    """The e-mail channel (docs/email.md): SMTP out, signed one-click links back in.

    Checked when ``leadbot serve`` starts it (``bot.handlers.email.app``): enabled needs a
    ``from_address`` and ``LEADBOT_EMAIL__LINK_SECRET``.
    """

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")
    tls: bool = Field(default=False, description="implicit TLS from the start (port 465)")
    from_address: str = ""
    from_name: str = "leadbot"
    username: str = Field(default="", description="SMTP login; empty: no authentication")
    timeout_seconds: float = Field(default=30, gt=0)
    link_days: int = Field(default=14, ge=1, le=365, description="life of a status link")
    per_second: float = Field(default=2.0, gt=0, description="messages per second to the server")
    burst: int = Field(default=10, ge=1)
    smtputf8: bool = Field(
        default=False,
        description="the mail server and the partners' take addresses with letters beyond "
        "ASCII before the @ (SMTPUTF8); without it the directory imports refuse them",
    )
    password: SecretStr | None = secret_field("LEADBOT_EMAIL__PASSWORD")
    link_secret: SecretStr | None = secret_field("LEADBOT_EMAIL__LINK_SECRET")

    @model_validator(mode="after")
    def _check(self) -> EmailSettings:
        if self.starttls and self.tls:
            raise Mismatch(
                "tls", "choose starttls or tls, not both (tls = implicit TLS, port 465)", "starttls"
            )
        if self.from_address and not re.fullmatch(
            r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", self.from_address
        ):
            raise ValueError(f"from_address: not an e-mail address: {quoted(self.from_address)}")
        too_long = self.from_address and length_problem(self.from_address)
        if too_long:
            raise ValueError(f"from_address: {too_long}")
        if any(c in self.from_name for c in "\r\n"):
            raise ValueError("from_name: must be one line")
        return self


class ConsoleSettings(Section):
    """The console is a platform like Slack: notices for it are queued only when enabled.

    ``leadbot console`` switches it on for its own process.
    """

    enabled: bool = False


class StaffSettings(Section):
    slack_users: list[str] = []
    telegram_users: list[int] = []
    language: Literal["de", "en"] = "de"
