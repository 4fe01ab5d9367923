"""A Telegram world for end-to-end tests: the assembled bot, the emulator, partners and reps.

``telegram_world(make_settings, emulator, partners=3)`` serves the whole bot (API, the
Telegram webhook, sender, scheduler) against the Telegram emulator, with partners whose
groups exist in the emulator and one linked rep per partner. Users are driven with the
emulator's driver over real HTTP, exactly as Telegram would deliver their updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Lead
from bot.runtime import Runtime
from tests.emulators.fixtures import TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.emulators.telegram import TelegramDriver, TelegramEmulator, TgMessage
from tests.support.botserver import RunningBot, running_bot
from tests.support.factories import add_partner, add_rep, lead_payload

API_TOKEN = "tg-e2e-token"
WEBHOOK_URL = "https://leadbot.example/telegram/webhook"  # what the bot registers


PRODUCTS = [  # as in bot.toml, so the shipped sales-content library loads
    {"id": "X200", "line": "X-series"},
    {"id": "X500", "line": "X-series", "min_certification": "advanced"},
    {"id": "C10", "line": "Cloud"},
    {"id": "S3", "line": "Security", "min_certification": "advanced"},
]


def group_of(index: int) -> int:
    return -1_000_000 - index


def user_of(index: int) -> int:
    return 7_000 + index


def telegram_settings(
    make_settings: Callable[..., Settings], emulator: TelegramEmulator, **sections: Any
) -> Settings:
    telegram = {
        "enabled": True,
        "api_url": emulator.bot_api_url,
        "token": TELEGRAM_TOKEN,
        "webhook_secret": TELEGRAM_WEBHOOK_SECRET,
        "webhook_url": WEBHOOK_URL,
        "poll_timeout_seconds": 1,
        # Functional tests talk fast in one private chat; the flood-limit tests set
        # Telegram's real figures on both sides.
        "chat_per_second": 50.0,
        "chat_burst": 50,
        **sections.pop("telegram", {}),
    }
    base: dict[str, Any] = {
        "telegram": telegram,
        "console": {"enabled": False},
        "server": {"api_token": API_TOKEN},
        "outbox": {"poll_seconds": 0.1, "max_backoff_seconds": 30},
        "distribution": {"waves": [{"size": 0, "minutes": 60}]},
        "products": PRODUCTS,
    }
    base.update(sections)
    return make_settings(**base)


@dataclass
class World:
    bot: RunningBot
    tg: TelegramEmulator
    driver: TelegramDriver
    groups: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    rep_ids: list[int] = field(default_factory=list)
    posted: int = 0

    @property
    def runtime(self) -> Runtime:
        return self.bot.runtime

    async def post_lead(self, **overrides: Any) -> int:
        """A new lead by the HTTP API; each call is a different prospect (no duplicate)."""
        self.posted += 1
        n = self.posted
        unique = {
            "external_id": f"crm-{n}",
            "company.domain": f"brauerei-{n}.example",
            "contact.email": f"maria@brauerei-{n}.example",
        }
        payload = lead_payload(**{**unique, **overrides})
        async with httpx.AsyncClient(base_url=self.bot.url) as http:
            answer = await http.post(
                "/api/leads", json=payload, headers={"Authorization": f"Bearer {API_TOKEN}"}
            )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    async def lead(self, lead_id: int) -> Lead:
        async with self.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
            assert lead is not None
            return lead

    async def teaser(self, group: int, timeout: float = 10.0) -> TgMessage:
        """The newest teaser (a message with a Claim button) in a partner's group."""
        return await self.tg.wait_for_async(
            lambda: next(
                (m for m in reversed(self.tg.bot_messages(group)) if m.button("claim:")), None
            ),
            timeout,
            f"a teaser in group {group}",
        )

    async def private(
        self, user: int, predicate: Callable[[TgMessage], bool], timeout: float = 10.0
    ) -> TgMessage:
        """The newest bot message in a user's private chat that satisfies ``predicate``."""
        return await self.tg.wait_for_async(
            lambda: next((m for m in reversed(self.tg.bot_messages(user)) if predicate(m)), None),
            timeout,
            f"a matching private message to {user}",
        )

    async def settled(self, timeout: float = 15.0) -> None:
        """Wait until the outbox holds nothing more for Telegram (sent, skipped or failed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.bot.sender.pending():
            if loop.time() > deadline:
                raise TimeoutError(f"outbox not empty after {timeout}s")
            await asyncio.sleep(0.02)


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
) -> AsyncIterator[World]:
    """Partners P0..Pn-1 with groups and one linked rep each (``started``: the reps have
    opened the private chat with the bot). Then the bot runs.

    Unless ``real_limits``, the emulator's per-chat limit is raised to match the settings'
    (the functional tests are not about flood limits)."""

    if not real_limits:
        emulator.limits.set("per_chat", per_second=50, burst=50)
    setup = Runtime.create(settings)
    groups, users, rep_ids = [], [], []
    try:
        async with setup.uow() as uow:
            for i in range(partners):
                await add_partner(uow, f"P{i}", name=f"Partner {i}", telegram_chat_id=group_of(i))
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
