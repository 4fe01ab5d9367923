"""A Slack workspace (the emulator) with leadbot served against it, for end-to-end tests.

``slack_world(make_settings, slack_emulator, partners=...)`` starts the assembled bot
(``running_bot``) with ``[slack]`` pointed at the emulator, creates partners with their
channels and reps with their Slack user ids, and gives a driver that plays Slack's users
against ``/slack/events``. Everything goes over real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.config import Settings
from bot.models import Lead
from tests.emulators.fixtures import SLACK_SIGNING_SECRET, SLACK_TOKEN
from tests.emulators.slack import SlackDriver, SlackEmulator, SlackMessage
from tests.support.botserver import RunningBot, running_bot
from tests.support.factories import add_partner, add_rep, lead_payload

API_TOKEN = "slack-e2e-token"
PRODUCTS = [  # as in bot.toml, so the shipped sales-content library loads
    {"id": "X200", "line": "X-series", "min_certification": "basic"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud", "min_certification": "basic"},
    {"id": "S3", "line": "Security", "min_certification": "advanced"},
]
STAFF_CHANNEL = "CSTAFF0001"
STAFF_USER = "USTAFF0001"


@dataclass(frozen=True)
class PartnerSpec:
    """A partner with its Slack channel and one rep (``rep``: the rep's Slack user id)."""

    id: str
    channel: str
    rep: str
    fields: dict[str, Any] = field(default_factory=dict)
    language: str = "de"


def another_company(n: int) -> dict[str, str]:
    """Lead fields of a different prospect (the same one twice would be held as duplicate)."""
    return {
        "external_id": f"crm-{n}",
        "company.name": f"Mühle Meier {n} KG",
        "company.domain": f"muehle-meier-{n}.de",
        "contact.name": f"Jonas Meier {n}",
        "contact.email": f"jonas@muehle-meier-{n}.de",
        "contact.phone": f"+49 89 7654{n:03d}",
    }


def slack_settings(
    make_settings: Any, emulator: SlackEmulator, *, limits: bool = False, **sections: Any
) -> Settings:
    """Settings for a bot that talks to ``slack`` only (console off), with overrides.

    Rate limits are a test of their own (``limits=True``): elsewhere the emulator's and the
    bot's per-channel limits are lifted, so a test that clicks fast is not slowed to 1/s.
    """
    if not limits:
        emulator.limits.disable()
    base: dict[str, Any] = {
        "slack": {
            "per_channel_per_second": 1.0 if limits else 100.0,
            "burst": 3 if limits else 100,
            "enabled": True,
            "api_url": emulator.api_url,
            "staff_channel": STAFF_CHANNEL,
            "bot_token": SLACK_TOKEN,
            "signing_secret": SLACK_SIGNING_SECRET,
        },
        "console": {"enabled": False},
        "server": {"api_token": API_TOKEN},
        "staff": {"slack_users": [STAFF_USER], "language": "en"},
        "distribution": {"waves": [{"size": 0, "minutes": 120}]},
        "outbox": {"poll_seconds": 0.2},
        "products": PRODUCTS,
    }
    for section, values in sections.items():
        if isinstance(values, dict) and isinstance(base.get(section), dict):
            base[section] = {**base[section], **values}
        else:
            base[section] = values
    return make_settings(**base)


@dataclass
class SlackWorld:
    bot: RunningBot
    slack: SlackEmulator
    driver: SlackDriver
    http: httpx.AsyncClient
    partners: list[PartnerSpec]

    async def post_lead(self, **overrides: Any) -> int:
        response = await self.http.post(
            "/api/leads",
            json=lead_payload(**overrides),
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def teaser(self, channel: str, timeout: float = 10.0) -> SlackMessage:
        """The newest bot message in ``channel`` that still has a Claim button."""
        return await self.slack.wait_for_async(
            lambda: next(
                (m for m in reversed(self.slack.bot_messages(channel)) if m.button("lead_claim")),
                None,
            ),
            timeout,
            f"a teaser in {channel}",
        )

    async def lead(self, lead_id: int) -> Lead:
        async with self.bot.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
            assert lead is not None
            return lead

    def staff_feed(self) -> str:
        return "\n".join(m.all_text for m in self.slack.bot_messages(STAFF_CHANNEL))

    async def wait_staff(self, text: str, timeout: float = 10.0) -> None:
        await self.slack.wait_for_async(
            lambda: text in self.staff_feed(), timeout, f"{text!r} in the staff channel"
        )

    async def settled(self, timeout: float = 20.0) -> None:
        """Until the outbox holds nothing pending for Slack."""
        import asyncio
        import time

        deadline = time.monotonic() + timeout
        while await self.bot.sender.pending():
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain")
            await asyncio.sleep(0.05)


async def _directory(bot: RunningBot, partners: Iterable[PartnerSpec]) -> None:
    async with bot.runtime.uow() as uow:
        for spec in partners:
            await add_partner(
                uow,
                spec.id,
                slack_channel=spec.channel,
                languages=[spec.language],
                **spec.fields,
            )
            await add_rep(
                uow,
                spec.id,
                f"{spec.rep.lower()}@{spec.id.lower()}.example",
                slack_user_id=spec.rep,
                language=spec.language,
                name=f"Rep {spec.rep}",
            )
        await uow.commit()


@asynccontextmanager
async def slack_world(
    settings: Settings, slack: SlackEmulator, partners: list[PartnerSpec]
) -> AsyncIterator[SlackWorld]:
    slack.add_channel(STAFF_CHANNEL, "leadbot-staff")
    slack.add_user(STAFF_USER)
    for spec in partners:
        slack.add_channel(spec.channel, f"partner-{spec.id.lower()}")
        slack.add_user(spec.rep)
    async with running_bot(settings) as bot:
        await _directory(bot, partners)
        async with httpx.AsyncClient(base_url=bot.url, timeout=30) as http:
            driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)
            yield SlackWorld(bot, slack, driver, http, partners)
