"""The Claim button under a teaser: decide who wins, answer the presser, then acknowledge.

The press is decided *before* Slack gets its ack, so an acknowledged press is never lost:
the claim — the core's single conditional UPDATE (a ``Claim`` command run by
``Interactions.execute``: exactly one presser wins) — commits, with the delivery marked
seen in the same transaction, and only then does Slack hear 200. A decision that takes
longer than :data:`~bot.handlers.slack.deps.DECIDE_SECONDS` (inside Slack's 3 s) is
acknowledged at that deadline and answered when it is made (docs/slack.md has the
trade-off). The presser's ephemeral answer (response URL)
goes out before the ack too, unless it would push the ack past
:data:`~bot.handlers.slack.deps.ACK_BY_SECONDS` — then it follows. The winner's lead card,
the content pack and the "taken" edits of every other teaser come through the outbox.
"""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.identity import Identity
from bot.chat.results import Reply
from bot.handlers.slack import home
from bot.handlers.slack.blocks import CLAIM
from bot.handlers.slack.deps import (
    Respond,
    SlackDeps,
    answer,
    answer_reply,
    answer_then_ack,
    decide,
    unknown_user,
)
from bot.handlers.slack.payloads import button_press, number


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def decision(user_id: str, value: str) -> tuple[Identity, Reply | None]:
        who = await deps.who(user_id)
        if who.rep_id is None:
            return who, None
        offer_id = number(value)
        if offer_id is None:
            return who, Reply("claim.not_found", ok=False)
        result = await deps.interactions.execute(who, c.Claim(offer_id))
        assert isinstance(result, Reply)
        return who, result

    @app.action(CLAIM)
    @deps.guard
    async def claim(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        started = asyncio.get_running_loop().time()
        press = button_press(body)
        who, reply = await decide(decision(press.user_id, press.value), ack)
        if reply is None:
            await answer_then_ack(ack, answer(respond, unknown_user(who)), started)
            return
        await answer_then_ack(ack, answer_reply(respond, reply, who.language), started)
        if reply.key == "claim.won":
            await home.publish(deps, client, who)
