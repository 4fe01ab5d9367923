"""All of leadbot's settings: one section per part, checked against each other."""

from __future__ import annotations

from pydantic import model_validator

from bot.config.base import Section
from bot.config.distribution import DistributionSettings, MatchingSettings, Product
from bot.config.infrastructure import (
    DatabaseSettings,
    OutboxSettings,
    RedisSettings,
    ServerSettings,
)
from bot.config.platforms import (
    ConsoleSettings,
    EmailSettings,
    SlackSettings,
    StaffSettings,
    TelegramSettings,
)
from bot.config.staff_tools import (
    CockpitSettings,
    ContentSettings,
    NewsSettings,
    ReportsSettings,
)
from bot.config.webhooks import WebhookEndpoint, WebhookSenderSettings, webhook_label
from bot.plaintext import quoted


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
        """Checks across sections and tables. Each message starts with the place it is
        about, as the file says it (the loader shows it without a place of its own)."""
        _unique_webhook_names(self.webhooks)
        levels = [level.lower() for level in self.matching.certification_levels]
        seen: set[str] = set()
        for i, product in enumerate(self.products):
            if product.id in seen:
                raise ValueError(f"products[{i}].id: duplicate product id {quoted(product.id)}")
            seen.add(product.id)
            if product.min_certification.lower() not in levels:
                raise ValueError(
                    f"products[{i}].min_certification: {quoted(product.min_certification)} is not "
                    f"one of matching.certification_levels {levels}"
                )
        return self

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def with_console(self) -> Settings:
        """The same settings with the console platform switched on."""
        return self.model_copy(update={"console": ConsoleSettings(enabled=True)})


def _unique_webhook_names(hooks: list[WebhookEndpoint]) -> None:
    """Each ``[[webhooks]]`` name once: ``leadbot webhooks test NAME`` and the deliveries
    name an endpoint by it. The error names the endpoint by that name, as the file does
    and as every other webhook error does (``webhooks["crm"]: the name "crm" is given
    twice``) — its position, counted from 0, means nothing to someone reading the file.
    The names are valid here (checked first), so they need no escaping."""
    names = [hook.name for hook in hooks]
    for i, name in enumerate(names):
        if name in names[:i]:
            count = names.count(name)
            times = "twice" if count == 2 else f"{count} times"
            raise ValueError(f'{webhook_label(i, name)}: the name "{name}" is given {times}')
