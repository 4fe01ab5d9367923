"""A Slack workspace (the emulator) with leadbot served against it, addressed by channel.

``slack_world(settings, slack_emulator, partners=[PartnerSpec(...)])`` starts the
assembled bot (``running_bot``) with ``[slack]`` pointed at the emulator, creates partners
with their channels and reps with their Slack user ids, and gives the emulator's driver,
which plays Slack's users against ``/slack/events`` over real HTTP.

This is the Slack-only view the detailed Slack tests use (any channel id, any language,
several partners per test). What all worlds share — posting leads, reading the database,
the settled outbox — is :class:`~tests.support.world.BotWorld`; what is Slack's own (the
settings, finding a teaser, the staff feed) is :mod:`tests.support.drivers.slack`, which
the dialogue harness (:mod:`tests.support.chat_world`) uses too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.emulators.slack import SlackDriver, SlackEmulator, SlackMessage
from tests.support.botserver import RunningBot, running_bot
from tests.support.drivers.slack import (
    PRODUCTS,
    STAFF_CHANNEL,
    STAFF_USER,
    slack_settings,
    staff_feed_of,
    teaser_in,
)
from tests.support.factories import add_partner, add_rep
from tests.support.world import BotWorld, eventually

__all__ = [
    "PRODUCTS",
    "STAFF_CHANNEL",
    "STAFF_USER",
    "PartnerSpec",
    "SlackWorld",
    "another_company",
    "slack_settings",
    "slack_world",
]


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


class SlackWorld(BotWorld):
    """Posts exactly the lead it is given (``another_company`` for a second prospect)."""

    def __init__(
        self,
        bot: RunningBot,
        slack: SlackEmulator,
        driver: SlackDriver,
        partners: list[PartnerSpec],
    ) -> None:
        super().__init__(bot)
        self.slack = slack
        self.driver = driver
        self.partners = partners

    async def teaser(self, channel: str, timeout: float = 10.0) -> SlackMessage:
        """The newest bot message in ``channel`` that still has a Claim button."""
        return await teaser_in(self.slack, channel, timeout)

    async def leads_card(self, user: str, lead_id: int, channel: str | None = None) -> SlackMessage:
        """The card ``/leads <lead>`` posts into ``user``'s DM (typed in ``channel``, default
        the DM): the message the outbox keeps current from then on."""
        await self.settled()
        before = {m.ts for m in self.slack.dm_messages(user)}
        await self.driver.slash_command("/leads", str(lead_id), user=user, channel=channel)
        found = await self.slack.wait_for_async(
            lambda: [m for m in self.slack.dm_messages(user) if m.ts not in before],
            10,
            f"the card of lead {lead_id} in the DM of {user}",
        )
        return found[-1]

    def staff_feed(self) -> str:
        return staff_feed_of(self.slack)

    async def wait_staff(self, text: str, timeout: float = 10.0) -> None:
        await eventually(
            lambda: text in self.staff_feed(), timeout, f"{text!r} in the staff channel"
        )


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
        driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)
        yield SlackWorld(bot, slack, driver, partners)
