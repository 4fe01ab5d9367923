"""Settings of the signed lead events sent to a CRM (``[[webhooks]]``, docs/crm.md)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from bot.config.base import Mismatch, Section
from bot.models.enums import LeadStatus
from bot.plaintext import quoted

WEBHOOK_EVENTS: tuple[str, ...] = (
    *(f"lead.{status.value}" for status in LeadStatus),
    "lead.follow_up_set",
)
"""Every event a webhook can subscribe to: one per lifecycle state, plus the follow-up."""
TEST_EVENT = "webhook.test"
_WEBHOOK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str) -> str | None:
    """What is wrong with a webhook URL, or None: https, or http only to this machine."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an https:// URL (http:// only for localhost)"
    if parts.scheme == "http" and not _loopback(host):
        return "plain http is allowed only for localhost (127.0.0.1, ::1); use https://"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password; the signature authenticates leadbot"
    if parts.fragment:
        return "must not have a #fragment"
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "must not contain spaces or control characters"
    return None


def webhook_label(index: int, name: object) -> str:
    """How an error names the ``index``-th ``[[webhooks]]`` table: by its name, as the TOML
    says it (``webhooks["crm"]``), or by its position (``webhooks[0]``) while it has no
    usable name — an index means nothing to someone reading the file."""
    if isinstance(name, str) and _WEBHOOK_NAME.fullmatch(name):
        return f'webhooks["{name}"]'
    return f"webhooks[{index}]"


class WebhookEndpoint(Section):
    """One receiver of signed lead events (``[[webhooks]]``, docs/crm.md).

    The signing secret is read from the environment variable named by ``secret_env``
    (``whsec_`` + base64, as the Standard Webhooks specification has it); ``leadbot serve``
    refuses to start while it is missing or malformed.
    """

    name: str
    url: str
    events: list[str] = Field(default=["*"], min_length=1)
    secret_env: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    timeout_seconds: float = Field(default=10, gt=0, le=120)
    retry_hours: float = Field(default=72, gt=0, le=24 * 14, description="then: failed")
    secret: SecretStr | None = Field(default=None, description="from the secret_env variable")

    # One validator per field, so an error's place names the field: webhooks["crm"].url.

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _WEBHOOK_NAME.fullmatch(value):
            raise ValueError(f"{quoted(value)} must be 1-32 lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = check_webhook_url(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{quoted(value)} is not an environment variable name")
        return value

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        for event in value:
            if event != "*" and event not in WEBHOOK_EVENTS:
                known = ", ".join(WEBHOOK_EVENTS)
                raise ValueError(f'unknown event {quoted(event)} (known: "*", {known})')
        return value

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.events or event_type in self.events)


class WebhookSenderSettings(Section):
    """How the webhook sender works through its outbox (one loop per ``serve`` process)."""

    poll_seconds: float = Field(default=2.0, gt=0)
    batch_size: int = Field(default=200, ge=1, le=5000)
    concurrency: int = Field(default=32, ge=1, le=500, description="requests in flight")
    lease_seconds: float = Field(
        default=120, gt=0, le=86_400, description="a taken row is reserved"
    )
    # Waits are at most retry_hours' own limit (14 days): a longer one never comes.
    min_backoff_seconds: float = Field(default=5, gt=0)
    max_backoff_seconds: float = Field(default=3600, gt=0, le=14 * 86_400)
    max_retry_after_seconds: float = Field(default=86_400, gt=0, le=14 * 86_400)

    @model_validator(mode="after")
    def _check(self) -> WebhookSenderSettings:
        if self.min_backoff_seconds > self.max_backoff_seconds:
            raise Mismatch(
                "min_backoff_seconds",
                f"{self.min_backoff_seconds:g} must not exceed max_backoff_seconds "
                f"({self.max_backoff_seconds:g})",
                "max_backoff_seconds",
            )
        return self
