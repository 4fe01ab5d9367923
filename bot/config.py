"""Settings: ``bot.toml`` overlaid with ``LEADBOT_<SECTION>__<KEY>`` environment variables.

We load the TOML file ourselves and validate the merged result with pydantic, instead of
leaning on a settings framework, because three rules matter more than convenience here:

* a wrong key or value anywhere (file *or* environment) fails at start with a message
  naming it — a typo such as ``LEADBOT_SLACK__ENABLE`` must not be silently ignored;
* secrets (tokens, signing secrets) are accepted **only** from the environment, never from
  the file, and they are ``SecretStr`` so they never appear in a repr or a log line;
* the path comes from ``--config``, else ``LEADBOT_CONFIG``, else ``bot.toml``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from bot.models.enums import LeadStatus

ENV_PREFIX = "LEADBOT_"
CONFIG_ENV = "LEADBOT_CONFIG"
DEFAULT_CONFIG = "bot.toml"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending key."""


def _secret(env: str) -> Any:
    return Field(default=None, json_schema_extra={"secret": True, "env": env})


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(Section):
    """Where the data lives, and how long leadbot waits for it (docs/configuration.md).

    The timeouts exist so that a stalled or unreachable database gives a quick, clear
    ``503`` instead of requests that hang as long as the stall (docs/database-outages.md).
    """

    url: str = "sqlite:///leadbot.db"
    echo: bool = False
    pool_size: int = Field(default=10, ge=1, le=500, description="connections kept open")
    max_overflow: int | None = Field(
        default=None, ge=0, le=500, description="extra connections under load; unset: pool_size"
    )
    statement_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=86_400,
        description="PostgreSQL: the server cancels a statement running longer",
    )
    command_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86_400,
        description="PostgreSQL: leadbot gives up waiting for any answer (a frozen network); "
        "unset: statement_timeout_seconds + 1",
    )
    connect_timeout_seconds: float = Field(
        default=3.0, gt=0, le=600, description="PostgreSQL: opening a connection, login included"
    )
    pool_timeout_seconds: float = Field(
        default=3.0, gt=0, le=600, description="waiting for a free connection of the pool"
    )
    sqlite_busy_timeout_seconds: float = Field(
        default=5.0, ge=0, le=600, description="SQLite: waiting for another writer's lock"
    )

    @model_validator(mode="before")
    @classmethod
    def _common_url_forms(cls, data: Any) -> Any:
        """``postgres://…`` (what many hosts hand out) means ``postgresql://…``."""
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            url = data["url"].strip()
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            data = {**data, "url": url}
        return data

    @property
    def overflow(self) -> int:
        """Connections allowed beyond ``pool_size``: the pool never holds more than the sum."""
        return self.pool_size if self.max_overflow is None else self.max_overflow

    @property
    def command_timeout(self) -> float:
        """The client-side limit: a little above the server's, so that a merely slow
        statement is cancelled cleanly by the server first and keeps its connection."""
        if self.command_timeout_seconds is not None:
            return self.command_timeout_seconds
        return self.statement_timeout_seconds + 1.0

    @model_validator(mode="after")
    def _timeouts(self) -> DatabaseSettings:
        if (
            self.command_timeout_seconds is not None
            and self.command_timeout_seconds < self.statement_timeout_seconds
        ):
            raise ValueError(
                "command_timeout_seconds must not be below statement_timeout_seconds "
                f"({self.command_timeout_seconds:g} < {self.statement_timeout_seconds:g}): "
                "the server should cancel a slow statement before leadbot drops the connection"
            )
        return self

    @model_validator(mode="after")
    def _known_database(self) -> DatabaseSettings:
        scheme = self.url.split("://", 1)[0] if "://" in self.url else ""
        if scheme.split("+", 1)[0] not in ("sqlite", "postgresql"):
            raise ValueError(
                f"url: not a database URL leadbot can use: {self.url.split('@')[-1]!r} "
                "(sqlite:///file.db or postgresql://user@host/db)"
            )
        return self


class RedisSettings(Section):
    url: str = ""
    key_prefix: str = "leadbot:"
    max_connections: int = Field(
        default=50, ge=4, le=10_000, description="pool size per process; a burst waits briefly"
    )


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str = Field(
        default="", description="base of links leadbot sends out; empty: http://host:port"
    )
    api_token: SecretStr | None = _secret("LEADBOT_SERVER__API_TOKEN")
    tombstone_key: SecretStr | None = _secret("LEADBOT_SERVER__TOMBSTONE_KEY")

    @model_validator(mode="after")
    def _check_public_url(self) -> ServerSettings:
        url = self.public_url
        if url and (not url.startswith(("https://", "http://")) or url[-3:] == "://"):
            raise ValueError(f"public_url: not an http(s) URL: {url!r}")
        return self

    def base_url(self) -> str:
        """Where people reach this server: ``public_url``, else ``http://host:port``."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


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
    bot_token: SecretStr | None = _secret("LEADBOT_SLACK__BOT_TOKEN")
    signing_secret: SecretStr | None = _secret("LEADBOT_SLACK__SIGNING_SECRET")
    app_token: SecretStr | None = _secret("LEADBOT_SLACK__APP_TOKEN")


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
                    f"not {self.webhook_url!r}"
                )
        return self

    bot_username: str = ""
    link_code_hours: int = Field(default=72, ge=1)
    poll_timeout_seconds: int = Field(default=30, ge=0, le=300, description="getUpdates wait")
    # Flood limits (docs/telegram.md): Telegram allows about 30 messages per second in all,
    # about one per second per chat and 20 per minute per group; stay a little below.
    global_per_second: float = Field(default=25.0, gt=0)
    chat_per_second: float = Field(default=1.0, gt=0)
    chat_burst: int = Field(default=3, ge=1)
    group_per_minute: float = Field(default=20.0, gt=0)
    group_burst: int = Field(default=10, ge=1)
    token: SecretStr | None = _secret("LEADBOT_TELEGRAM__TOKEN")
    webhook_secret: SecretStr | None = _secret("LEADBOT_TELEGRAM__WEBHOOK_SECRET")


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
    password: SecretStr | None = _secret("LEADBOT_EMAIL__PASSWORD")
    link_secret: SecretStr | None = _secret("LEADBOT_EMAIL__LINK_SECRET")

    @model_validator(mode="after")
    def _check(self) -> EmailSettings:
        if self.starttls and self.tls:
            raise ValueError("starttls and tls: choose one (tls = implicit TLS, port 465)")
        if self.from_address and not re.fullmatch(
            r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", self.from_address
        ):
            raise ValueError(f"from_address: not an e-mail address: {self.from_address!r}")
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


class Wave(Section):
    size: int = Field(ge=0, description="partners in this wave; 0 = everyone eligible")
    minutes: int = Field(gt=0)


class DistributionSettings(Section):
    waves: list[Wave] = [
        Wave(size=1, minutes=60),
        Wave(size=5, minutes=120),
        Wave(size=0, minutes=1440),
    ]
    claim_sla_hours: float = Field(default=24, gt=0)
    reminder_before_recall_hours: float = Field(default=4, ge=0)
    pause_after_sla_misses: int = Field(default=3, ge=0, description="0 = never pause")
    timezone: str = "Europe/Berlin"
    follow_up_hour: int = Field(default=9, ge=0, le=23)

    @model_validator(mode="after")
    def _check(self) -> DistributionSettings:
        if not self.waves:
            raise ValueError("waves: at least one wave is needed")
        if self.reminder_before_recall_hours >= self.claim_sla_hours:
            raise ValueError("reminder_before_recall_hours must be below claim_sla_hours")
        return self


class MatchingWeights(Section):
    """How much each score component counts. Each component is in [0, 1]; the score is
    the weighted sum, so only the ratios between weights matter. 0 switches one off."""

    distance: float = Field(default=1.0, ge=0, description="closer is better")
    tier: float = Field(default=1.0, ge=0, description="higher tier (order of `tiers`)")
    certification: float = Field(default=1.0, ge=0, description="level for the lead's lines")
    conversion: float = Field(default=1.0, ge=0, description="historic won / closed, smoothed")
    load: float = Field(default=1.0, ge=0, description="free capacity (fairness)")


class MatchingSettings(Section):
    """The matching engine: hard filters and score. ``docs/matching.md`` explains each key."""

    tiers: list[str] = Field(
        default=["platinum", "gold", "silver", "registered"], description="best first"
    )
    certification_levels: list[str] = Field(
        default=["basic", "advanced", "expert"], description="lowest first"
    )
    require_certification: bool = True  # partner certified for each product's line
    require_stock: bool = False  # partner lists each product in its `products`
    unknown_products: Literal["ignore", "refuse"] = "ignore"  # products not in [[products]]
    enterprise_min_employees: int = Field(default=1000, ge=1)
    sme_min_employees: int = Field(default=1, ge=0)
    public_industries: list[str] = ["public", "government", "education", "healthcare-public"]
    max_distance_km: float = Field(default=300, gt=0, description="distance score 0 from here")
    conversion_prior_won: float = Field(default=1, ge=0)
    conversion_prior_closed: float = Field(default=4, gt=0)
    weights: MatchingWeights = MatchingWeights()
    fairness: float = Field(
        default=1.0,
        ge=0,
        description="weight of fairness: fewer recent leads score higher; 0 = off",
    )
    fairness_days: int = Field(default=30, ge=1, le=365, description="the window fairness counts")

    @model_validator(mode="after")
    def _check(self) -> MatchingSettings:
        for name in ("tiers", "certification_levels"):
            values = [v.strip().lower() for v in getattr(self, name)]
            if not values or not all(values):
                raise ValueError(f"{name}: needs at least one non-empty name")
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: names must be unique (case-insensitive)")
        if self.sme_min_employees >= self.enterprise_min_employees:
            raise ValueError("sme_min_employees must be below enterprise_min_employees")
        if self.conversion_prior_won > self.conversion_prior_closed:
            raise ValueError("conversion_prior_won must not exceed conversion_prior_closed")
        return self


class Product(Section):
    id: str = Field(min_length=1)
    line: str = Field(min_length=1)
    name: str = ""
    min_certification: str = "basic"


class OutboxSettings(Section):
    """The outbox sender (docs/lifecycle.md, "The outbox"; docs/configuration.md)."""

    batch_size: int = Field(default=100, ge=1, description="rows claimed at most per pass")
    max_in_flight: int = Field(
        default=32, ge=1, le=1000, description="messages on their way per platform and process"
    )
    max_backoff_seconds: float = Field(default=900, gt=0)
    poll_seconds: float = Field(default=2.0, gt=0)
    lock_seconds: float = Field(
        default=6, ge=1, description="lease of a row being sent; renewed while its holder lives"
    )
    staff_summary_after: int = Field(
        default=20, ge=0, description="staff messages waiting before one summary replaces them"
    )


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

    @model_validator(mode="after")
    def _check(self) -> WebhookEndpoint:
        if not _WEBHOOK_NAME.match(self.name):
            raise ValueError(
                f"name: {self.name!r} must be 1-32 lower-case letters, digits, '-' or '_'"
            )
        problem = check_webhook_url(self.url)
        if problem:
            raise ValueError(f"url: {problem}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.secret_env):
            raise ValueError(f"secret_env: {self.secret_env!r} is not an environment variable name")
        for event in self.events:
            if event != "*" and event not in WEBHOOK_EVENTS:
                raise ValueError(
                    f'events: unknown event {event!r} (known: "*", {", ".join(WEBHOOK_EVENTS)})'
                )
        return self

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.events or event_type in self.events)


class WebhookSenderSettings(Section):
    """How the webhook sender works through its outbox (one loop per ``serve`` process)."""

    poll_seconds: float = Field(default=2.0, gt=0)
    batch_size: int = Field(default=200, ge=1, le=5000)
    concurrency: int = Field(default=32, ge=1, le=500, description="requests in flight")
    lease_seconds: float = Field(default=120, gt=0, description="a taken row is reserved")
    min_backoff_seconds: float = Field(default=5, gt=0)
    max_backoff_seconds: float = Field(default=3600, gt=0)
    max_retry_after_seconds: float = Field(default=86_400, gt=0)

    @model_validator(mode="after")
    def _check(self) -> WebhookSenderSettings:
        if self.min_backoff_seconds > self.max_backoff_seconds:
            raise ValueError("min_backoff_seconds must not exceed max_backoff_seconds")
        return self


class NewsSettings(Section):
    """Prospect news from RSS/Atom feeds, matched to open leads (docs/content.md)."""

    feeds: list[str] = []
    poll_minutes: float = Field(default=30, gt=0)
    timeout_seconds: float = Field(default=10, gt=0)
    max_bytes: int = Field(default=2_000_000, ge=1024, description="largest feed accepted")
    max_age_days: int = Field(default=30, ge=1, description="older items are not pushed")
    max_backoff_minutes: float = Field(default=720, gt=0)
    user_agent: str = "leadbot-news/0.1 (+https://example.com/leadbot)"

    @model_validator(mode="after")
    def _feeds(self) -> NewsSettings:
        for i, url in enumerate(self.feeds):
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"feeds[{i}]: not an http(s) URL")
        return self


class ContentSettings(Section):
    """The sales-content library; empty ``library`` means the shipped bot/content/library/."""

    library: str = ""
    recheck_minutes: float = Field(default=60, ge=0, description="0 = only at start/reload")


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_digest(value: str) -> tuple[int, int, int] | None:
    """``"mon 08:00"`` -> (weekday 0-6, hour, minute); ``""`` -> None (no digest).

    Raises ValueError with the accepted form when the text is anything else.
    """
    text = value.strip().lower()
    if not text:
        return None
    match = re.fullmatch(r"([a-z]{3})\s+(\d{1,2}):(\d{2})", text)
    if match is None or match.group(1) not in _WEEKDAYS:
        raise ValueError(
            f'digest: {value!r} is not a weekday and time such as "mon 08:00" '
            f"(days: {', '.join(_WEEKDAYS)}; empty = no digest)"
        )
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"digest: {value!r} has no valid time of day (00:00 to 23:59)")
    return _WEEKDAYS.index(match.group(1)), hour, minute


class ReportsSettings(Section):
    """Campaign costs and the weekly digest (docs/cockpit.md).

    ``campaign_costs`` are euros keyed by campaign name; costs imported with ``leadbot
    campaigns import`` take precedence for the same campaign. ``digest`` is a weekday and a
    local time (``[distribution] timezone``) at which the week's figures go to the staff
    channel; empty switches it off.
    """

    campaign_costs: dict[str, float] = {}
    digest: str = ""

    @model_validator(mode="after")
    def _check(self) -> ReportsSettings:
        for name, cost in self.campaign_costs.items():
            if not name.strip():
                raise ValueError("campaign_costs: a campaign name is empty")
            if cost < 0:
                raise ValueError(f"campaign_costs: cost of {name!r} is negative")
        parse_digest(self.digest)
        return self

    def digest_time(self) -> tuple[int, int, int] | None:
        """(weekday, hour, minute) of the weekly digest, or None when it is off."""
        return parse_digest(self.digest)


class CockpitSettings(Section):
    """The staff web cockpit at ``/cockpit`` (docs/cockpit.md)."""

    session_hours: float = Field(default=8, gt=0, le=24 * 30, description="sign-in lasts")
    link_minutes: float = Field(default=15, gt=0, le=24 * 60, description="a link is valid")
    default_days: int = Field(default=90, ge=1, le=3660, description="range without from/to")
    secret: SecretStr | None = _secret("LEADBOT_COCKPIT__SECRET")


class Settings(Section):
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    server: ServerSettings = ServerSettings()
    slack: SlackSettings = SlackSettings()
    telegram: TelegramSettings = TelegramSettings()
    console: ConsoleSettings = ConsoleSettings()
    email: EmailSettings = EmailSettings()
    staff: StaffSettings = StaffSettings()
    distribution: DistributionSettings = DistributionSettings()
    matching: MatchingSettings = MatchingSettings()
    products: list[Product] = []
    outbox: OutboxSettings = OutboxSettings()
    news: NewsSettings = NewsSettings()
    content: ContentSettings = ContentSettings()
    reports: ReportsSettings = ReportsSettings()
    cockpit: CockpitSettings = CockpitSettings()
    webhooks: list[WebhookEndpoint] = []
    webhook_sender: WebhookSenderSettings = WebhookSenderSettings()

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        names = [hook.name for hook in self.webhooks]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"webhooks[{i}].name: duplicate webhook name {name!r}")
        levels = [level.lower() for level in self.matching.certification_levels]
        seen: set[str] = set()
        for i, product in enumerate(self.products):
            if product.id in seen:
                raise ValueError(f"products[{i}].id: duplicate product id {product.id!r}")
            seen.add(product.id)
            if product.min_certification.lower() not in levels:
                raise ValueError(
                    f"products[{i}].min_certification: {product.min_certification!r} is not "
                    f"one of matching.certification_levels {levels}"
                )
        return self

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def with_console(self) -> Settings:
        """The same settings with the console platform switched on."""
        return self.model_copy(update={"console": ConsoleSettings(enabled=True)})


def _secret_fields(model: type[BaseModel]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("secret"):
            out[name] = str(extra["env"])
    return out


def _section_model(section: str) -> type[BaseModel] | None:
    field = Settings.model_fields.get(section)
    if field is None:
        return None
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _parse_env_value(raw: str, annotation: Any) -> Any:
    """Environment values are strings; lists and tables are written in TOML syntax."""
    if annotation in (str, SecretStr, SecretStr | None) or annotation == str | None:
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _overlay_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section, sep, key = rest.partition("__")
        if not sep:
            # Not ours (e.g. LEADBOT_TEST_BACKENDS) — unless it looks like a setting with a
            # single underscore by mistake, such as LEADBOT_SLACK_ENABLED.
            head = rest.split("_", 1)[0]
            if _section_model(head) is not None:
                raise ConfigError(
                    f"unknown setting in the environment: {name} "
                    f"(sections and keys are separated by two underscores: "
                    f"LEADBOT_{head.upper()}__{rest[len(head) + 1 :].upper()})"
                )
            continue
        model = _section_model(section)
        if model is None or key not in model.model_fields:
            raise ConfigError(
                f"unknown setting in the environment: {name} "
                f"(expected LEADBOT_<SECTION>__<KEY>, e.g. LEADBOT_SLACK__ENABLED)"
            )
        annotation = model.model_fields[key].annotation
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError(f"{section}: must be a table")
        data[section][key] = _parse_env_value(raw, annotation)


def _reject_file_secrets(data: Mapping[str, Any], path: Path) -> None:
    for section, values in data.items():
        model = _section_model(section)
        if model is None or not isinstance(values, Mapping):
            continue
        for key, env in _secret_fields(model).items():
            if key in values:
                raise ConfigError(
                    f"{path}: {section}.{key} is a secret and must not be in the file; "
                    f"set the environment variable {env} instead"
                )


def _webhook_secrets(data: dict[str, Any], environ: Mapping[str, str], path: Path) -> None:
    """Each ``[[webhooks]]`` secret from the variable its ``secret_env`` names, never the file."""
    hooks = data.get("webhooks")
    if not isinstance(hooks, list):
        return
    for i, hook in enumerate(hooks):
        if not isinstance(hook, dict):
            continue
        if "secret" in hook:
            raise ConfigError(
                f"{path}: webhooks[{i}].secret is a secret and must not be in the file; "
                "name an environment variable with secret_env instead"
            )
        name = hook.get("secret_env")
        if isinstance(name, str) and environ.get(name):
            hook["secret"] = environ[name]


def _format_validation_error(err: ValidationError, source: str) -> str:
    lines = [f"invalid configuration ({source}):"]
    for problem in err.errors():
        loc = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {loc}: {message}")
    return "\n".join(lines)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    must_exist: bool | None = None,
) -> Settings:
    """Load and validate settings; raise :class:`ConfigError` naming what is wrong.

    A missing file is fine when no path was asked for explicitly (defaults apply); an
    explicitly requested file (``--config`` or ``LEADBOT_CONFIG``) must exist.
    """
    environ = os.environ if environ is None else environ
    explicit = path or environ.get(CONFIG_ENV)
    file = Path(explicit) if explicit else Path(DEFAULT_CONFIG)
    if must_exist is None:
        must_exist = bool(explicit)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
        _reject_file_secrets(data, file)
    elif must_exist:
        raise ConfigError(f"config file not found: {file}")
    _overlay_environment(data, environ)
    _webhook_secrets(data, environ, file)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(file))) from None
