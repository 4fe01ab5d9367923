"""Slack's settings and Web API client: what the app, the outbox and ``leadbot reps
import`` need before anything is served.

``serve`` refuses to start without the secrets the chosen mode needs (naming the
variable); every Web API client points at ``[slack] api_url`` (the tests' emulator)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, SlackSettings
from bot.plaintext import quoted

API_TIMEOUT_SECONDS = 15


def secret(settings: SlackSettings, name: str) -> str:
    value = getattr(settings, name)
    return value.get_secret_value().strip() if value is not None else ""


def check_settings(settings: SlackSettings) -> None:
    """Refuse to start without the secrets the chosen mode needs, naming the variable."""
    needed = ["bot_token", "app_token" if settings.socket_mode else "signing_secret"]
    missing = [f"LEADBOT_SLACK__{name.upper()}" for name in needed if not secret(settings, name)]
    if missing:
        mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
        raise ConfigError(
            f"[slack] enabled = true ({mode}) needs {' and '.join(missing)} in the environment "
            "(see docs/slack.md); or set LEADBOT_SLACK__ENABLED=false"
        )
    if not settings.api_url.startswith(("https://", "http://")):
        raise ConfigError(f"slack.api_url: not an http(s) URL: {quoted(settings.api_url)}")


def web_client(
    settings: SlackSettings, *, retries: bool = True, token: bool = True
) -> AsyncWebClient:
    """The Web API client for ``[slack] api_url``; the outbox client leaves retries to the
    outbox (it has the backoff and Retry-After handling), so it gets none of its own."""
    client = AsyncWebClient(
        token=secret(settings, "bot_token") if token else None,
        base_url=settings.api_url if settings.api_url.endswith("/") else settings.api_url + "/",
        timeout=API_TIMEOUT_SECONDS,
    )
    if not retries:
        client.retry_handlers = []
    return client
