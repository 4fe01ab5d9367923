"""What the webhook tests share: the specification's example secret, settings with one
endpoint ``crm``, partners with a rep each, and draining the sender until nothing waits.

Time is the test's ManualClock: :func:`settle` moves it past every backoff instead of
sleeping.
"""

from __future__ import annotations

from typing import Any

from bot.clock import ManualClock
from bot.config import Settings
from bot.crm.sender import WebhookSender
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.support.factories import add_partner, add_rep

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret
PRODUCTS = [{"id": "X200", "line": "X-series", "min_certification": "basic"}]


def hook_settings(make_settings: SettingsFactory, url: str, **hook: Any) -> Settings:
    """One wave to every eligible partner; endpoint ``crm`` at ``url`` (``hook``: more of
    its keys); backoffs of 1 to 60 seconds."""
    return make_settings(
        products=PRODUCTS,
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        webhooks=[
            {"name": "crm", "url": url, "secret_env": "CRM_SECRET", "secret": SECRET, **hook}
        ],
        webhook_sender={"min_backoff_seconds": 1, "max_backoff_seconds": 60, "concurrency": 8},
    )


async def directory(runtime: Runtime, partners: int = 2) -> list[int]:
    """Partners P0, P1, … (``Partner 0``, …) with one rep each; the reps' ids."""
    reps = []
    async with runtime.uow() as uow:
        for i in range(partners):
            await add_partner(uow, f"P{i}", name=f"Partner {i}", max_open_leads=50)
            reps.append((await add_rep(uow, f"P{i}", f"rep{i}@p{i}.example", name=f"Rep {i}")).id)
        await uow.commit()
    return reps


async def settle(sender: WebhookSender, clock: ManualClock, step: float = 61) -> None:
    """Send, moving the clock past every backoff, until nothing is pending."""
    for _ in range(60):
        await sender.drain()
        if await sender.pending() == 0:
            return
        clock.advance(seconds=step)
    raise AssertionError("webhooks still pending")
