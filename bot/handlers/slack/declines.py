"""“Not for us” under a teaser: a modal asks for the reason, the core declines.

The press opens a modal (reason, and a note — needed for "other") unless the offer cannot
be declined any more (taken, expired: the rep is told at once); its inputs are checked
by the core's rules before Slack gets its answer, so a missing note is shown in the open
modal. The decline itself is a ``Decline`` command run by ``Interactions.execute``, decided
before the submission is acknowledged (bounded like a claim, see ``claims.py``); the
teaser is edited to "declined by …" through the outbox, and the rep is told ephemerally.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.results import Reply
from bot.handlers.slack.blocks import DECLINE
from bot.handlers.slack.deps import (
    Respond,
    SlackDeps,
    answer_reply,
    decide,
    tell_after_modal,
)
from bot.handlers.slack.modals import DECLINE_CALLBACK, decline_modal, read_decline
from bot.handlers.slack.payloads import button_press, number, view_submission


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(DECLINE)
    @deps.guard
    async def decline_button(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        await ack()
        press = button_press(body)
        who = await deps.rep(press.user_id, respond)
        if who is None:
            return
        offer_id = number(press.value)
        if offer_id is None or not press.trigger_id:
            await answer_reply(respond, Reply("decline.not_found", ok=False), who.language)
            return
        # An old teaser (a /leads teasers answer) whose lead was taken meanwhile: told at
        # the press, as Won or Lost are, not after the rep filled in the reason.
        refused = await deps.interactions.decline_refused(who, offer_id)
        if refused is not None:
            await answer_reply(respond, refused, who.language)
            return
        origin: dict[str, Any] = {"channel": press.channel_id}
        modal = decline_modal(offer_id, who.language, origin)
        await client.views_open(trigger_id=press.trigger_id, view=modal)

    @app.view(DECLINE_CALLBACK)
    @deps.guard
    async def decline_submitted(ack, body: dict, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        sub = view_submission(body)
        who = await deps.who(sub.user_id)
        offer_id = sub.row_id("offer_id")
        if offer_id is None:
            await ack()
            return
        read = read_decline(sub.values, who.language)
        if isinstance(read, dict):
            await ack(response_action="errors", errors=read)
            return
        reason, note = read
        # Decided before the ack (unless it takes over 2 s): the decline is not lost.
        reply = await decide(deps.interactions.execute(who, c.Decline(offer_id, reason, note)), ack)
        assert isinstance(reply, Reply)
        channel = sub.metadata.get("channel")
        if isinstance(channel, str) and channel:
            await tell_after_modal(client, who, reply, channel)
