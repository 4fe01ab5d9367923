"""All of leadbot's settings: one section per part, checked against each other."""

from __future__ import annotations

from collections import Counter

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
        """Checks across sections and tables, every problem at once (one line each: the
        loader indents them as its own). Each line starts with the place it is about, as
        the file says it (the loader shows it without a place of its own)."""
        levels = [level.lower() for level in self.matching.certification_levels]
        problems = [
            *_duplicate_webhook_names(self.webhooks),
            *_duplicate_product_ids(self.products),
            *_unknown_levels(self.products, levels),
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def with_console(self) -> Settings:
        """The same settings with the console platform switched on."""
        return self.model_copy(update={"console": ConsoleSettings(enabled=True)})


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _repeated(values: list[str]) -> list[str]:
    """The values given more than once, each once, in the order they first appear."""
    counts = Counter(values)
    return [value for value in dict.fromkeys(values) if counts[value] > 1]


def _duplicate_webhook_names(hooks: list[WebhookEndpoint]) -> list[str]:
    """Each ``[[webhooks]]`` name once: ``leadbot webhooks test NAME`` and the deliveries
    name an endpoint by it. One line for every name given more than once (all of them, not
    only the first), naming the endpoint by that name, as the file does and as every other
    webhook error does (``webhooks["crm"]: the name "crm" is given twice``) — its position,
    counted from 0, means nothing to someone reading the file. The names are valid here
    (checked first), so they need no escaping."""
    names = [hook.name for hook in hooks]
    return [
        f'{webhook_label(names.index(name), name)}: the name "{name}" is given '
        f"{_times(names.count(name))}"
        for name in _repeated(names)
    ]


def _duplicate_product_ids(products: list[Product]) -> list[str]:
    """Each ``[[products]]`` id once: leads, partners and the content library name a
    product by it. One line for every id given more than once, naming it by that id and
    saying which tables give it, counted from 1 as someone reading the file counts
    (``products: the id 'X200' is given twice ([[products]] tables 1 and 3)``) — it was
    named by one position counted from 0 (``products[2].id``), which the file does not show."""
    ids = [product.id for product in products]
    lines = []
    for product_id in _repeated(ids):
        tables = [str(n) for n, other in enumerate(ids, start=1) if other == product_id]
        lines.append(
            f"products: the id {quoted(product_id)} is given {_times(len(tables))} "
            f"([[products]] tables {', '.join(tables[:-1])} and {tables[-1]})"
        )
    return lines


def _unknown_levels(products: list[Product], levels: list[str]) -> list[str]:
    """A product's ``min_certification`` must be a level partners can have; named by the
    product's id, as the duplicates are."""
    return [
        f"products[{quoted(product.id)}].min_certification: "
        f"{quoted(product.min_certification)} is not one of matching.certification_levels "
        f"{levels}"
        for product in products
        if product.min_certification.lower() not in levels
    ]
