"""What every Slack listener needs: the runtime, the core interactions, who is asking.

One :class:`SlackDeps` is built per app and handed to each module's ``register``; the
listeners stay small and free of globals, and a test can build the app around any runtime.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.chat.identity import Identity, identify
from bot.chat.interactions import Interactions
from bot.chat.results import Reply
from bot.dbfaults import unavailable
from bot.handlers.slack import blocks
from bot.handlers.slack.kit import Message, esc, section
from bot.handlers.slack.payloads import delivery_key
from bot.i18n import t
from bot.models import Platform
from bot.runtime import Runtime

log = logging.getLogger("bot.handlers.slack")

T = TypeVar("T")
Respond = Callable[..., Awaitable[Any]]
Listener = Callable[..., Awaitable[None]]


DECIDE_SECONDS = 2.0
"""How long a press may take to be decided before its ack: well inside Slack's 3 seconds,
with room for the network both ways."""


async def decide(work: Coroutine[Any, Any, T]) -> T:
    """Run the decision a press asks for before it is acknowledged, bounded by
    :data:`DECIDE_SECONDS`; :class:`NotDecided` if the database cannot answer in time."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DECIDE_SECONDS)
    if task in done:
        return task.result()
    # Cancelled, not awaited: a database call stuck in a driver thread (SQLite) would hold
    # the answer past Slack's deadline. Its transaction rolls back when it gets to run.
    task.cancel()
    task.add_done_callback(_consume)
    log.warning("slack: a press was not decided within %.0fs; not acknowledged", DECIDE_SECONDS)
    raise NotDecided


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" noise


ACK_BY_SECONDS = 2.5
"""When the ack goes out at the latest, answered or not (Slack gives up after 3 s)."""


async def answer_then_ack(ack: Any, answering: Awaitable[None], started: float) -> None:
    """Send the presser's answer, then the ack — so an acknowledged press was answered —
    unless the answer takes longer than :data:`ACK_BY_SECONDS` after ``started`` (the
    loop time the press arrived): then the ack goes first and the answer follows."""
    loop = asyncio.get_running_loop()
    answer_task = asyncio.ensure_future(answering)
    remaining = ACK_BY_SECONDS - (loop.time() - started)
    await asyncio.wait({answer_task}, timeout=max(0.0, remaining))
    await ack()
    await answer_task


class NotDecided(Exception):
    """The press could not be decided in time: do not acknowledge it (Slack shows the
    user that it failed; pressing again is safe — the claim is idempotent)."""


async def _repeated(ack: Any, key: str) -> None:
    """A delivery applied before (or being applied right now): acknowledge, do nothing."""
    if getattr(ack, "response", None) is None:
        await ack()
    log.info("slack: ignored a repeated delivery (%s)", key.split(":")[1])


@dataclass
class SlackDeps:
    runtime: Runtime
    interactions: Interactions

    def guard(self, listener: Listener) -> Listener:
        """Wrap a Bolt listener: each delivery is applied once, a failure is told.

        *Once*: Slack retries a delivery it thinks we missed (``X-Slack-Retry-Num``), a
        double click arrives twice. The listener runs under :meth:`bot.seen.SeenDeliveries.once`
        — the delivery is marked seen with the first change it causes (or right after it,
        answers included), so a delivery lost to a crash is processed when it comes again,
        and a repeat of one that was applied is acknowledged and dropped.

        *Failures*: Bolt itself turns an exception raised right after ``ack()`` into an
        unhandled request (404) when it comes within its 10 ms polling step; caught here,
        Slack gets its answer and the person who clicked gets an ephemeral "try again".
        :class:`NotDecided` is the exception: raised *before* the ack, it reaches Bolt,
        which answers 500 — Slack shows the user the press failed, and they press again.
        """
        wanted = set(inspect.getfullargspec(listener).args)
        runtime = self.runtime

        async def guarded(  # type: ignore[no-untyped-def]
            ack, body: dict, respond: Respond, client, event, context
        ) -> None:
            given = {
                "ack": ack,
                "body": body,
                "respond": respond,
                "client": client,
                "event": event,
                "context": context,
            }
            kwargs = {name: value for name, value in given.items() if name in wanted}
            key = "slack:" + delivery_key(body, json.dumps(body, sort_keys=True, default=str))
            try:
                if not await runtime.seen.once(runtime, key, lambda: listener(**kwargs)):
                    await _repeated(ack, key)
            except NotDecided:
                raise
            except Exception as error:
                if getattr(ack, "response", None) is None:
                    await ack()
                await report_failure(runtime, body or {}, error, respond)

        guarded.__name__ = guarded.__qualname__ = listener.__name__
        guarded.__doc__ = listener.__doc__
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
