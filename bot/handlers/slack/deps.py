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
from dataclasses import dataclass, field
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
from bot.inbox import PressInbox
from bot.models import Platform
from bot.runtime import Runtime

log = logging.getLogger("bot.handlers.slack")

T = TypeVar("T")
Respond = Callable[..., Awaitable[Any]]
Listener = Callable[..., Awaitable[None]]


DECIDE_SECONDS = 2.0
"""How long a press may take to be decided before its ack: well inside Slack's 3 seconds,
with room for the network both ways."""


async def decide(work: Coroutine[Any, Any, T], ack: Any) -> T:
    """Run the decision a press asks for and acknowledge it once it is decided (``work``
    may acknowledge earlier itself) — unless that takes longer than
    :data:`DECIDE_SECONDS` (an overloaded process, a slow database): then the ack goes out
    at the deadline, so Slack does not show the rep a failure, and the decision goes on
    and is answered when it is made. If ``work`` fails, nothing is acknowledged here: the
    listener's guard acknowledges and tells the rep.

    The trade-off (docs/slack.md): a press acknowledged at the deadline and not yet decided
    is lost if the process dies in that moment. Refusing the ack instead made every press
    of a 200-rep burst fail on a busy process, the winner's included.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DECIDE_SECONDS)
    if task not in done:
        log.info("slack: a press took over %.0fs to decide; acknowledged first", DECIDE_SECONDS)
        await ack_once(ack)
    decided = await task
    await ack_once(ack)
    return decided


async def ack_once(ack: Any) -> None:
    """Acknowledge unless already done (Bolt's ``ack`` keeps its response once sent)."""
    if getattr(ack, "response", None) is None:
        await ack()


def _press_again(runtime: Runtime) -> Message:
    words = esc(t(runtime.settings.staff.language, "slack.failed"))
    return Message(f":warning: {words}", [section(f":warning: {words}")])


class _AckRelay:
    """Bolt's ``ack`` that also tells the waiting wrapper the ack was sent."""

    def __init__(self, ack: Any) -> None:
        self._ack = ack
        self.sent = asyncio.Event()

    @property
    def response(self) -> Any:
        return getattr(self._ack, "response", None)

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._ack(*args, **kwargs)
        finally:
            self.sent.set()


async def _repeated(ack: Any, key: str) -> None:
    """A delivery applied before (or being applied right now): acknowledge, do nothing."""
    if getattr(ack, "response", None) is None:
        await ack()
    log.info("slack: ignored a repeated delivery (%s)", key.split(":")[1])


@dataclass
class SlackDeps:
    runtime: Runtime
    interactions: Interactions
    presses: PressInbox | None = None
    """Where Claim presses are stored before their ack (:mod:`bot.inbox`)."""
    _running: set[asyncio.Future[None]] = field(default_factory=set)
    """Listener work that goes on after its ack (held so it is not garbage-collected)."""

    def guard(self, listener: Listener) -> Listener:
        """Wrap a Bolt listener: each delivery is applied once, a failure is told.

        *Once*: Slack retries a delivery it thinks we missed (``X-Slack-Retry-Num``), a
        double click arrives twice. The listener runs under :meth:`bot.seen.SeenDeliveries.once`
        — the delivery is marked seen with the first change it causes (or right after it,
        answers included), so a delivery lost to a crash is processed when it comes again,
        and a repeat of one that was applied is acknowledged and dropped.

        *Failures*: caught here; Slack gets its answer and the person who clicked gets an
        ephemeral "try again".

        *The ack*: Bolt runs with ``process_before_response`` and awaits this wrapper, which
        returns as soon as the listener has acknowledged (an event, :class:`_AckRelay`);
        the rest of the listener's work goes on in a task. Bolt's other mode polls every
        10 ms per request for the ack, which cost a quarter of a busy process's CPU when
        200 reps pressed Claim at once.
        """
        wanted = set(inspect.getfullargspec(listener).args)
        runtime = self.runtime

        async def guarded(  # type: ignore[no-untyped-def]
            ack, body: dict, respond: Respond, client, event, context
        ) -> None:
            relay = _AckRelay(ack)
            work = asyncio.ensure_future(applied(relay, body, respond, client, event, context))
            acked = asyncio.ensure_future(relay.sent.wait())
            await asyncio.wait({work, acked}, return_when=asyncio.FIRST_COMPLETED)
            acked.cancel()
            if not work.done():
                self._running.add(work)
                work.add_done_callback(self._running.discard)

        async def applied(  # type: ignore[no-untyped-def]
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
            except Exception as error:
                await ack_once(ack)
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


async def answer_each(respond: Respond, messages: list[Message]) -> None:
    """An answer in several messages (a long pipeline), in order, to the same person."""
    for message in messages:
        await answer(respond, message)


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
        await answer(respond, _press_again(runtime))
