"""Settings of what staff and reps read: prospect news, sales content, reports, cockpit."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, model_validator

from bot.config.base import Section, http_url_problem, secret_field
from bot.plaintext import bad_character, quoted, trim


class NewsSettings(Section):
    """Prospect news from RSS/Atom feeds, matched to open leads (docs/content.md)."""

    feeds: list[str] = []
    poll_minutes: float = Field(default=30, gt=0)
    timeout_seconds: float = Field(default=10, gt=0)
    max_bytes: int = Field(default=2_000_000, ge=1024, description="largest feed accepted")
    max_age_days: int = Field(default=30, ge=1, le=3650, description="older items are not pushed")
    max_backoff_minutes: float = Field(default=720, gt=0)
    user_agent: str = "leadbot-news/0.1 (+https://example.com/leadbot)"

    @model_validator(mode="after")
    def _feeds(self) -> NewsSettings:
        for i, url in enumerate(self.feeds):
            problem = http_url_problem(url)
            if problem:
                raise ValueError(f"feeds[{i}]: {problem}")
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
            f'digest: {quoted(value)} is not a weekday and time such as "mon 08:00" '
            f"(days: {', '.join(_WEEKDAYS)}; empty = no digest)"
        )
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"digest: {quoted(value)} has no valid time of day (00:00 to 23:59)")
    return _WEEKDAYS.index(match.group(1)), hour, minute


MAX_CAMPAIGN_COST = 1e12
"""Euros: a campaign cost above a trillion is a typo, and a cost near the float limit
overflowed the report's decimal arithmetic (its ROI) with a traceback."""


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
            if not trim(name):
                raise ValueError("campaign_costs: a campaign name is empty")
            problem = bad_character(name)
            if problem:  # as `leadbot campaigns import` refuses it: no lead could name it
                raise ValueError(f"campaign_costs: the campaign name {quoted(name)} {problem}")
            if cost < 0:
                raise ValueError(f"campaign_costs: cost of {quoted(name)} is negative")
            if cost > MAX_CAMPAIGN_COST:
                raise ValueError(
                    f"campaign_costs: cost of {quoted(name)} is above {MAX_CAMPAIGN_COST:,.0f} €"
                )
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
    secret: SecretStr | None = secret_field("LEADBOT_COCKPIT__SECRET")
