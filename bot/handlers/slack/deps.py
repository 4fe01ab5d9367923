"""What every Slack listener needs: the runtime, the core interactions, who is asking.

One :class:`SlackDeps` is built per app and handed to each module's ``register``; the
listeners stay small and free of globals, and a test can build the app around any runtime.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.identity import Identity, identify
from bot.chat.interactions import Interactions
from bot.chat.results import Reply
from bot.dbfaults import unavailable
from bot.handlers.slack import blocks
from bot.handlers.slack.kit import Message, esc, section
from bot.i18n import t
from bot.models import Platform
from bot.runtime import Runtime

log = logging.getLogger("bot.handlers.slack")

Respond = Callable[..., Awaitable[Any]]
Listener = Callable[..., Awaitable[None]]


@dataclass
class SlackDeps:
    runtime: Runtime
    interactions: Interactions

    def guard(self, listener: Listener) -> Listener:
        """Wrap a Bolt listener so that a failure is logged and told, never left hanging.

        Bolt itself turns an exception raised right after ``ack()`` into an unhandled
        request (404) when it comes within its 10 ms polling step; caught here, Slack gets
        its answer and the person who clicked gets an ephemeral "try again".
        """

        @functools.wraps(listener)
        async def guarded(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            except Exception as error:
                ack = kwargs.get("ack")
                if ack is not None and getattr(ack, "response", None) is None:
                    await ack()
                await report_failure(
                    self.runtime, kwargs.get("body") or {}, error, kwargs.get("respond")
                )

        return guarded

    async def who(self, user_id: str) -> Identity:
        return await identify(self.runtime, Platform.SLACK, user_id)

    async def rep(self, user_id: str, respond: Respond) -> Identity | None:
        """The rep behind ``user_id``; anyone else is told how to get linked (``None``)."""
        who = await self.who(user_id)
        if who.rep_id is None:
            await answer(respond, unknown_user(who))
            return None
        return who

    def today(self) -> date:
        """Today in the manufacturer's time zone (follow-up dates are calendar days)."""
        zone = ZoneInfo(self.runtime.settings.distribution.timezone)
        return self.runtime.clock.now().astimezone(zone).date()


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


async def tell_after_modal(client: Any, who: Identity, reply: Reply, channel: str) -> bool:
    """Answer after a modal (it has no response URL): ephemeral in ``channel``.

    Returns False when Slack refused, so the caller can show it elsewhere (App Home).
    """
    message = blocks.reply(reply, who.language)
    try:
        await client.chat_postEphemeral(
            channel=channel, user=who.user_id, text=message.text, blocks=message.blocks
        )
    except Exception:
        log.warning("slack: could not answer after a modal", exc_info=True)
        return False
    return True


async def answer_reply(respond: Respond, reply: Reply, language: str) -> None:
    await answer(respond, blocks.reply(reply, language))


async def report_failure(
    runtime: Runtime, body: dict[str, Any], error: BaseException, respond: Respond | None
) -> None:
    """Log a failed request without the error's message (database errors quote personal
    data) and tell the person who clicked, if Slack gave us a way to answer them."""
    what = body.get("type") or body.get("command") or "request"
    outage = unavailable(error)
    if outage is not None:  # not a bug: one line, no frames (docs/database-outages.md)
        log.warning("slack: handling a %s failed: the database is not answering (%s)", what, outage)
    else:
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("slack: handling a %s failed: %s\n%s", what, type(error).__name__, frames)
    if respond is not None:
        words = esc(t(runtime.settings.staff.language, "slack.failed"))
        await answer(respond, Message(f":warning: {words}", [section(f":warning: {words}")]))
