"""Settings: ``bot.toml`` overlaid with ``LEADBOT_<SECTION>__<KEY>`` environment variables.

We load the TOML file ourselves and validate the merged result with pydantic, instead of
leaning on a settings framework, because three rules matter more than convenience here:

* a wrong key or value anywhere (file *or* environment) fails at start with a message
  naming it — a typo such as ``LEADBOT_SLACK__ENABLE`` must not be silently ignored;
* secrets (tokens, signing secrets) are accepted **only** from the environment, never from
  the file, and they are ``SecretStr`` so they never appear in a repr or a log line;
* the path comes from ``--config``, else ``LEADBOT_CONFIG``, else ``bot.toml``.

One module per group of sections (:mod:`~bot.config.infrastructure`,
:mod:`~bot.config.platforms`, :mod:`~bot.config.distribution`, :mod:`~bot.config.webhooks`,
:mod:`~bot.config.staff_tools`), :mod:`~bot.config.settings` puts them together and
:mod:`~bot.config.loading` reads them; everything is imported from ``bot.config``.
"""

from bot.config.base import ConfigError, Section, TombstoneKeyMismatch
from bot.config.distribution import (
    DistributionSettings,
    MatchingSettings,
    MatchingWeights,
    Product,
    Wave,
)
from bot.config.infrastructure import (
    DatabaseSettings,
    OutboxSettings,
    RedisSettings,
    ServerSettings,
)
from bot.config.loading import CONFIG_ENV, DEFAULT_CONFIG, ENV_PREFIX, config_path, load_settings
from bot.config.platforms import (
    ConsoleSettings,
    EmailSettings,
    SlackSettings,
    StaffSettings,
    TelegramSettings,
)
from bot.config.settings import Settings
from bot.config.staff_tools import (
    CockpitSettings,
    ContentSettings,
    NewsSettings,
    ReportsSettings,
    parse_digest,
)
from bot.config.webhooks import (
    TEST_EVENT,
    WEBHOOK_EVENTS,
    WebhookEndpoint,
    WebhookSenderSettings,
    check_webhook_url,
    webhook_label,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "TEST_EVENT",
    "WEBHOOK_EVENTS",
    "CockpitSettings",
    "ConfigError",
    "ConsoleSettings",
    "ContentSettings",
    "DatabaseSettings",
    "DistributionSettings",
    "EmailSettings",
    "MatchingSettings",
    "MatchingWeights",
    "NewsSettings",
    "OutboxSettings",
    "Product",
    "RedisSettings",
    "ReportsSettings",
    "Section",
    "ServerSettings",
    "Settings",
    "SlackSettings",
    "StaffSettings",
    "TelegramSettings",
    "TombstoneKeyMismatch",
    "Wave",
    "WebhookEndpoint",
    "WebhookSenderSettings",
    "check_webhook_url",
    "config_path",
    "load_settings",
    "parse_digest",
    "webhook_label",
]
