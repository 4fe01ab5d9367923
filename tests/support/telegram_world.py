"""A Telegram world for end-to-end tests: the assembled bot, the emulator, partners and reps.

``telegram_world(settings, emulator, partners=3)`` serves the whole bot (API, the
Telegram webhook, sender, scheduler) against the Telegram emulator, with partners whose
groups exist in the emulator and one linked rep per partner. Users are driven with the
emulator's driver over real HTTP, exactly as Telegram would deliver their updates.

This is the Telegram-only view the detailed Telegram tests use (P0..Pn-1, reps who have or
have not started the private chat, webhook or polling). What all worlds share — posting
leads, reading the database, the settled outbox — is :class:`~tests.support.world.BotWorld`;
what is Telegram's own (the settings, finding a teaser or a private message) is
:mod:`tests.support.drivers.telegram`, which the dialogue harness uses too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.runtime import Runtime
from tests.emulators.telegram import TelegramDriver, TelegramEmulator, TgMessage
from tests.support.botserver import RunningBot, running_bot
from tests.support.drivers.telegram import (
    PRODUCTS,
    WEBHOOK_URL,
    group_of,
    private_in,
    teaser_in,
    telegram_settings,
    user_of,
)
from tests.support.factories import add_partner, add_rep
from tests.support.world import BotWorld

__all__ = [
    "PRODUCTS",
    "WEBHOOK_URL",
    "World",
    "group_of",
    "telegram_settings",
    "telegram_world",
    "user_of",
]


class World(BotWorld):
    """Each posted lead is a prospect of its own (no duplicate holds)."""

    def __init__(
        self,
        bot: RunningBot,
        tg: TelegramEmulator,
        driver: TelegramDriver,
        groups: list[int],
        users: list[int],
        rep_ids: list[int],
    ) -> None:
        super().__init__(bot)
        self.tg = tg
        self.driver = driver
        self.groups = groups
        self.users = users
        self.rep_ids = rep_ids

    def prospect(self, n: int) -> dict[str, Any]:
        return {
            "external_id": f"crm-{n}",
            "company.domain": f"brauerei-{n}.example",
            "contact.email": f"maria@brauerei-{n}.example",
        }

    async def teaser(self, group: int, timeout: float = 10.0) -> TgMessage:
        """The newest teaser (a message with a Claim button) in a partner's group."""
        return await teaser_in(self.tg, group, timeout)

    async def private(
        self, user: int, predicate: Callable[[TgMessage], bool], timeout: float = 10.0
    ) -> TgMessage:
        """The newest bot message in a user's private chat that satisfies ``predicate``."""
        return await private_in(self.tg, user, predicate, timeout)

    async def settled(self, timeout: float = 15.0) -> None:
        """Wait until the outbox holds nothing more for Telegram (sent, skipped or failed)."""
        await super().settled(timeout)


@asynccontextmanager
async def telegram_world(
    settings: Settings,
    emulator: TelegramEmulator,
    *,
    partners: int = 3,
    started: bool = True,
    webhook: bool = True,
    real_limits: bool = False,
    clock: Clock | None = None,
    inboxes: bool = False,
) -> AsyncIterator[World]:
    """Partners P0..Pn-1 with groups and one linked rep each (``started``: the reps have
    opened the private chat with the bot; ``inboxes``: each partner has a lead inbox too,
    ``leads@p<i>.example``). Then the bot runs.

    Unless ``real_limits``, the emulator's per-chat limit is raised to match the settings'
    (the functional tests are not about flood limits)."""

    if not real_limits:
        emulator.limits.set("per_chat", per_second=50, burst=50)
    setup = Runtime.create(settings)
    groups, users, rep_ids = [], [], []
    try:
        async with setup.uow() as uow:
            for i in range(partners):
                inbox = {"email": f"leads@p{i}.example"} if inboxes else {}
                await add_partner(
                    uow, f"P{i}", name=f"Partner {i}", telegram_chat_id=group_of(i), **inbox
                )
                rep = await add_rep(
                    uow,
                    f"P{i}",
                    f"rep{i}@p{i}.example",
                    name=f"Rep {i}",
                    telegram_user_id=user_of(i),
                    telegram_started_at=datetime.now(UTC) if started else None,
                )
                emulator.add_group(group_of(i), f"Partner {i}")
                emulator.add_user(user_of(i), f"Rep{i}", language_code="de")
                if started:
                    emulator.start_user(user_of(i))
                groups.append(group_of(i))
                users.append(user_of(i))
                rep_ids.append(rep.id)
            await uow.commit()
    finally:
        await setup.close()
    async with running_bot(settings, clock=clock) as bot:
        url = f"{bot.url}/telegram/webhook" if webhook else None
        driver = emulator.driver(webhook_url=url) if url else emulator.driver()
        yield World(bot, emulator, driver, groups, users, rep_ids)
