"""The buttons under staff-feed notices: Re-offer, Release, Why?

Each press becomes a typed command (:mod:`bot.chat.commands`) and runs through
``Interactions.execute``, which refuses anyone not listed in ``[staff] slack_users`` —
the same rule as for ``/leads reoffer`` typed by hand. The command is decided before
Slack gets its 200 (bounded like every press, :func:`~bot.handlers.slack.deps.decide`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slack_bolt.async_app import AsyncApp

from bot.chat import commands as c
from bot.handlers.slack import blocks
from bot.handlers.slack.answers import result_messages
from bot.handlers.slack.commands import COMMAND
from bot.handlers.slack.deps import Respond, SlackDeps, answer_each, decide
from bot.handlers.slack.kit import Message
from bot.handlers.slack.payloads import button_press, number

BUTTONS: dict[str, Callable[[int], c.Command]] = {
    blocks.STAFF_REOFFER: c.Reoffer,
    blocks.STAFF_RELEASE: c.Release,
    blocks.STAFF_RELEASE_CONSENT: lambda lead_id: c.Release(lead_id, consent=True),
    blocks.STAFF_EXPLAIN: c.Explain,
}


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(re.compile("^(" + "|".join(map(re.escape, BUTTONS)) + ")$"))
    @deps.guard
    async def staff_button(ack, body: dict, respond: Respond) -> None:  # type: ignore[no-untyped-def]
        press = button_press(body)
        lead_id = number(press.value)
        if lead_id is None:
            await ack()
            return
        command = BUTTONS[press.action_id](lead_id)

        async def run() -> list[Message]:
            who = await deps.who(press.user_id)
            result = await deps.interactions.execute(who, command)
            return result_messages(result, who.language, prefix=f"{COMMAND} ")

        # Decided before the ack (a re-offer, a release): an acknowledged press is applied.
        messages = await decide(run(), ack)
        await answer_each(respond, messages)
