"""What every end-to-end world shares: the served bot, leads over the HTTP API, the
database's word on a lead, and "the outbox is settled".

A world is the assembled bot (``running_bot``) plus the people around it. The dialogue
harness (:mod:`tests.support.chat_world`) and the per-platform worlds the older tests use
(:mod:`tests.support.slack_world`, :mod:`tests.support.telegram_world`) all build on
:class:`BotWorld`; what differs between platforms lives in ``tests/support/drivers/``.

Nothing here sleeps for time to pass: :func:`eventually` polls a condition until a
deadline (the bot runs in the test's own event loop, so polling yields to it), and time
that matters to the bot comes from the runtime's clock — a ``ManualClock`` in tests.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from bot.delivery.sender import OutboxSender
from bot.models import Lead, Offer
from bot.runtime import Runtime
from tests.support.botserver import RunningBot
from tests.support.factories import lead_payload

T = TypeVar("T")
POLL_SECONDS = 0.02


async def eventually(
    check: Callable[[], Awaitable[T | None] | T | None], timeout: float = 10.0, what: str = ""
) -> T:
    """``check()`` (sync or async) until it returns something truthy, which is returned.

    Raises TimeoutError naming ``what`` after ``timeout`` seconds. Between tries the event
    loop runs the bot; this waits for a condition, never for time to pass.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            raise TimeoutError(f"not within {timeout}s: {what or check}")
        await asyncio.sleep(POLL_SECONDS)


async def outbox_settled(sender: OutboxSender, timeout: float = 20.0) -> None:
    """Until ``sender``'s platforms have nothing pending in the outbox (sent, skipped or
    failed). After this, no notice queued so far is still on its way."""

    async def empty() -> bool:
        return await sender.pending() == 0

    await eventually(empty, timeout, "the outbox to drain")


async def submit_lead(bot_url: str, api_token: str, **overrides: Any) -> int:
    """``POST /api/leads`` as a CRM does (``overrides`` as in ``lead_payload``); the id."""
    async with httpx.AsyncClient(base_url=bot_url, timeout=30) as http:
        answer = await http.post(
            "/api/leads",
            json=lead_payload(**overrides),
            headers={"Authorization": f"Bearer {api_token}"},
        )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def lead_of(runtime: Runtime, lead_id: int) -> Lead:
    """The lead as the database has it now."""
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
    assert lead is not None, f"no lead {lead_id}"
    return lead


class BotWorld:
    """The running bot and what every test asks of it, whatever the platform."""

    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self.posted = 0

    @property
    def runtime(self) -> Runtime:
        return self.bot.runtime

    def prospect(self, n: int) -> dict[str, Any]:
        """Lead fields that make the ``n``-th posted lead a prospect of its own (the same
        prospect twice is held as a duplicate). The base world posts exactly what it is
        given; worlds whose tests post several leads override this."""
        return {}

    async def post_lead(self, **overrides: Any) -> int:
        """A new lead over the HTTP API (``overrides`` as in ``lead_payload``); its id."""
        self.posted += 1
        token = self.runtime.settings.server.api_token
        assert token is not None, "the world's settings need [server] api_token"
        fields = {**self.prospect(self.posted), **overrides}
        return await submit_lead(self.bot.url, token.get_secret_value(), **fields)

    async def lead(self, lead_id: int) -> Lead:
        """The lead as the database has it now."""
        return await lead_of(self.runtime, lead_id)

    async def offers(self, lead_id: int, partner_id: str | None = None) -> list[Offer]:
        """The lead's offers (of one partner), oldest first."""
        query = select(Offer).where(Offer.lead_id == lead_id).order_by(Offer.id)
        if partner_id is not None:
            query = query.where(Offer.partner_id == partner_id)
        async with self.runtime.uow() as uow:
            return list((await uow.session.scalars(query)).all())

    async def settled(self, timeout: float = 20.0) -> None:
        """Until the outbox holds nothing more for the served platforms."""
        await outbox_settled(self.bot.sender, timeout)
