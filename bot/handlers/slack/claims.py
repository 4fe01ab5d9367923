"""The Claim button under a teaser: ack at once, then let the core decide who wins.

Slack wants an answer within three seconds, and thirty reps may press at the same moment,
so the listener acknowledges first and only then claims. The claim itself is the core's
single conditional UPDATE (a ``Claim`` command run by ``Interactions.execute``): exactly one presser wins. The winner
gets an ephemeral confirmation here; the lead card (DM), the content pack and the "taken"
edits of every other teaser come through the outbox. Everyone else is told why not.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.results import Reply
from bot.handlers.slack import home
from bot.handlers.slack.blocks import CLAIM
from bot.handlers.slack.deps import Respond, SlackDeps, answer_reply
from bot.handlers.slack.payloads import button_press, number


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(CLAIM)
    @deps.guard
    async def claim(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        await ack()
        press = button_press(body)
        who = await deps.rep(press.user_id, respond)
        if who is None:
            return
        offer_id = number(press.value)
        if offer_id is None:
            reply = Reply("claim.not_found", ok=False)
        else:
            result = await deps.interactions.execute(who, c.Claim(offer_id))
            assert isinstance(result, Reply)
            reply = result
        await answer_reply(respond, reply, who.language)
        if reply.key == "claim.won":
            await home.publish(deps, client, who)
