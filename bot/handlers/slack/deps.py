"""What every Slack listener needs: the runtime, the core interactions, who is asking.

One :class:`SlackDeps` is built per app and handed to each module's ``register``; the
listeners stay small and free of globals, and a test can build the app around any runtime.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.handlers.slack import blocks
from bot.handlers.slack.kit import Message, esc, section
from bot.i18n import t
from bot.interactions import Identity, Interactions, Reply, identify
from bot.models import Platform
from bot.runtime import Runtime

log = logging.getLogger("bot.handlers.slack")

Respond = Callable[..., Awaitable[Any]]


@dataclass
class SlackDeps:
    runtime: Runtime
    interactions: Interactions

    async def who(self, user_id: str) -> Identity:
        return await identify(self.runtime, Platform.SLACK, user_id)

    def today(self) -> date:
        """Today in the manufacturer's time zone (follow-up dates are calendar days)."""
        zone = ZoneInfo(self.runtime.settings.distribution.timezone)
        return self.runtime.clock.now().astimezone(zone).date()


def as_rep(who: Identity) -> Identity:
    """The same person seen only as their partner's rep (staff rights set aside)."""
    return dataclasses.replace(who, is_staff=False)


def unknown_user(who: Identity) -> Message:
    """How a Slack user who is no rep gets linked: their user id goes into the reps CSV."""
    words = esc(t(who.language, "slack.unknown_user", user_id=who.user_id))
    return Message(f":wave: {words}", [section(f":wave: {words}")])


async def answer(respond: Respond, message: Message) -> None:
    """An ephemeral answer to the person who clicked or typed (via the response URL)."""
    try:
        await respond(
            text=message.text,
            blocks=message.blocks,
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception:  # the action already happened; a lost confirmation is not an error
        log.warning("slack: could not send an ephemeral answer", exc_info=True)


async def answer_reply(respond: Respond, reply: Reply, language: str) -> None:
    await answer(respond, blocks.reply(reply, language))
