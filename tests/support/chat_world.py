"""One dialogue harness for every platform: the bot, its people, and a driver to act as them.

``chat_world("slack", make_settings, clock, emulator, partners=2)`` serves the assembled
bot (``running_bot``: API, webhooks, sender, scheduler) with that one platform switched on
against its emulator (Slack, Telegram), SMTP server (e-mail) or an in-process console
session (console), on the test's ``ManualClock``. The directory holds partners ``P1`` …
``Pn``, each with one rep (:class:`~tests.support.drivers.base.Member`), reachable on
that platform only.

Scenarios then speak one vocabulary, and each platform's driver does it the way a person
does it there (``tests/support/drivers/``)::

    lead_id = await world.post_lead()
    teaser = await world.teaser(a, lead_id)          # a's channel shows the teaser
    told = await world.claim(a, teaser)               # what a is told
    await world.card(a, lead_id, containing="Brauerei Huber GmbH")
    await world.report(a, lead_id, ("won", "12.500"))
    await world.staff(f"release {lead_id} consent")   # staff's command, staff's answer

The database is read through :meth:`~tests.support.world.BotWorld.lead`; time moves only
when the test moves the clock (:meth:`ChatWorld.advance`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

from bot.clock import ManualClock
from bot.config import Settings
from bot.directory.availability import local_date
from bot.models import OfferStatus
from bot.runtime import Runtime
from tests.support.botserver import RunningBot, running_bot
from tests.support.drivers.base import ChatDriver, Member, Setup, Step, Teaser
from tests.support.drivers.console import ConsoleSetup
from tests.support.drivers.email import EmailSetup
from tests.support.drivers.slack import PRODUCTS, SlackSetup
from tests.support.drivers.telegram import TelegramSetup
from tests.support.factories import add_partner, add_rep
from tests.support.world import BotWorld, eventually

DRIVERS: dict[str, Setup] = {
    setup.name: setup for setup in (ConsoleSetup(), SlackSetup(), TelegramSetup(), EmailSetup())
}
PLATFORMS = tuple(DRIVERS)
API_TOKEN = "chat-world-token"


def sections() -> dict[str, Any]:
    """What every platform's world shares: one wave to everyone for an hour, German-speaking
    staff and reps, the shipped products."""
    return {
        "server": {"api_token": API_TOKEN},
        "staff": {"language": "de"},
        "distribution": {"waves": [{"size": 0, "minutes": 60}]},
        "outbox": {"poll_seconds": 0.1, "max_backoff_seconds": 30},
        "products": PRODUCTS,
    }


class ChatWorld(BotWorld):
    """A running bot, the directory's members and the platform's driver."""

    def __init__(
        self, bot: RunningBot, driver: ChatDriver, members: Sequence[Member], clock: ManualClock
    ) -> None:
        super().__init__(bot)
        self.driver = driver
        self.members = list(members)
        self.clock = clock

    @property
    def platform(self) -> str:
        return self.driver.name

    def prospect(self, n: int) -> dict[str, Any]:
        """Each posted lead is a prospect of its own; company and contact names stay."""
        return {
            "external_id": f"crm-{n}",
            "company.domain": f"brauerei-{n}.example",
            "contact.email": f"maria@brauerei-{n}.example",
        }

    async def open_offer(self, member: Member, lead_id: int) -> int:
        """The open offer of the lead to the member's partner (the newest round's)."""

        async def found() -> int | None:
            offers = await self.offers(lead_id, member.partner_id)
            open_ = [o.id for o in offers if o.status is OfferStatus.OPEN]
            return open_[-1] if open_ else None

        return await eventually(found, what=f"an open offer of #{lead_id} to {member.partner_id}")

    async def teaser(self, member: Member, lead_id: int) -> Teaser:
        """Wait until the member's channel shows the teaser of the lead's open offer."""
        return await self.driver.teaser(member, lead_id, await self.open_offer(member, lead_id))

    async def teaser_now(self, teaser: Teaser) -> str:
        return await self.driver.teaser_now(teaser)

    async def teasers_shown(self, member: Member) -> set[int]:
        return await self.driver.teasers_shown(member)

    async def claim(self, member: Member, teaser: Teaser) -> str:
        return await self.driver.claim(member, teaser)

    async def race(self, presses: Sequence[tuple[Member, Teaser]]) -> list[str]:
        return await self.driver.race(presses)

    async def card(self, member: Member, lead_id: int, containing: str) -> str:
        """Wait until the member's lead card shows ``containing`` (mail: the newest mail
        about the lead — a mail cannot be edited, so a changed card comes as a new one)."""
        return await self.driver.direct(member, lead_id, containing)

    async def direct(self, member: Member, lead_id: int, containing: str) -> str:
        """Wait until any direct message about the lead (a reminder …) shows ``containing``."""
        return await self.driver.direct(member, lead_id, containing)

    async def private(self, member: Member) -> str:
        return await self.driver.private(member)

    async def report(self, member: Member, lead_id: int, step: Step) -> str:
        return await self.driver.report(member, lead_id, step)

    async def command(self, member: Member, text: str) -> str:
        """The member types the command ``text``; their answer."""
        return await self.driver.command(member, text)

    async def staff(self, text: str) -> str:
        return await self.driver.staff(text)

    async def staff_feed(self) -> str:
        return await self.driver.staff_feed()

    async def staff_sees(self, text: str) -> str:
        """Wait until the staff feed shows ``text``; the feed."""

        async def shown() -> str | None:
            feed = await self.driver.staff_feed()
            return feed if text in feed else None

        return await eventually(shown, what=f"{text!r} in the staff feed")

    async def settled(self, timeout: float = 20.0) -> None:
        await self.driver.settle()
        await super().settled(timeout)

    def advance(self, **delta: float) -> None:
        """Let time pass for the bot: its scheduler (and the console) fire what is due."""
        self.clock.advance(**delta)

    def today_plus(self, days: int) -> date:
        """The date ``days`` after today where the partners are (the distribution's zone)."""
        return local_date(self.runtime.settings, self.clock.now()) + timedelta(days=days)


async def _directory(
    settings: Settings, setup: Setup, emulator: Any, clock: ManualClock, partners: int
) -> list[Member]:
    runtime = Runtime.create(settings, clock=clock)
    members = []
    try:
        async with runtime.uow() as uow:
            for index in range(1, partners + 1):
                pid = f"P{index}"
                ids = setup.ids(index, pid)
                name = f"Partner {pid}"
                await add_partner(uow, pid, name=name, **setup.partner_fields(ids))
                email = f"rep@{pid.lower()}.example"
                rep = await add_rep(uow, pid, email, name=f"Rep {pid}", **setup.rep_fields(ids))
                members.append(Member(pid, name, rep.id, rep.name, email, ids.user, ids.channel))
            await uow.commit()
    finally:
        await runtime.close()
    setup.prepare(emulator, members)
    return members


@asynccontextmanager
async def chat_world(
    platform: str,
    make_settings: Callable[..., Settings],
    clock: ManualClock,
    emulator: Any = None,
    *,
    partners: int = 2,
    extra: dict[str, Any] | None = None,
) -> AsyncIterator[ChatWorld]:
    """The bot on ``platform`` (against ``emulator``, see :attr:`Setup.fixture`);
    ``extra`` adds settings sections (``{"content": {"library": …}}``)."""
    setup = DRIVERS[platform]
    settings = setup.settings(make_settings, emulator, **{**sections(), **(extra or {})})
    members = await _directory(settings, setup, emulator, clock, partners)
    async with running_bot(settings, clock=clock) as bot:
        driver = await setup.start(bot, emulator, members)
        try:
            yield ChatWorld(bot, driver, members, clock)
        finally:
            await driver.close()
