"""What staff do from Slack: the pipeline, "why did this lead go there", and lead actions.

Used by ``/leads`` (see :mod:`bot.handlers.slack.commands`) and by the buttons under
staff-feed notices (Re-offer, Release, Why?). Every action goes through
``Interactions.staff_action``, which refuses anyone not listed in ``[staff] slack_users``.
"""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.chat.interactions import Identity, Reply
from bot.handlers.slack import blocks
from bot.handlers.slack.deps import Respond, SlackDeps, answer, answer_reply
from bot.handlers.slack.kit import Block, Message, esc
from bot.handlers.slack.lists import explanation_blocks, pipeline_blocks
from bot.handlers.slack.payloads import button_press, number
from bot.i18n import t
from bot.reports.pipeline import pipeline

EXPLAIN_LIMIT = 20  # partners listed in a summary; `/leads explain <id> <partner>` for one


async def pipeline_message(deps: SlackDeps, who: Identity) -> Message:
    async with deps.runtime.uow() as uow:
        report = await pipeline(uow)
    found = pipeline_blocks(report, who.language)
    return Message(
        esc(t(who.language, "report.title", total=report.total, open=report.open_leads)), found
    )


async def explanation(
    deps: SlackDeps, who: Identity, lead_id: int, partner_id: str | None = None
) -> Message:
    """Why each partner was or was not offered ``lead_id`` (staff only)."""
    lines = await deps.interactions.explanation(who, lead_id, partner_id, limit=EXPLAIN_LIMIT)
    if isinstance(lines, Reply):
        return blocks.reply(lines, who.language)
    found: list[Block] = explanation_blocks(lines)
    return Message(esc(lines[0] if lines else f"#{lead_id}"), found)


async def act(deps: SlackDeps, who: Identity, action: str, lead_id: int, consent: bool) -> Reply:
    return await deps.interactions.staff_action(who, action, lead_id, consent=consent)


_BUTTONS = {
    blocks.STAFF_REOFFER: ("reoffer", False),
    blocks.STAFF_RELEASE: ("release", False),
    blocks.STAFF_RELEASE_CONSENT: ("release", True),
}


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(blocks.STAFF_EXPLAIN)
    @deps.guard
    async def explain_button(ack, body: dict, respond: Respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        press = button_press(body)
        who = await deps.who(press.user_id)
        lead_id = number(press.value)
        if lead_id is not None:
            await answer(respond, await explanation(deps, who, lead_id))

    @app.action(re.compile("^(" + "|".join(map(re.escape, _BUTTONS)) + ")$"))
    @deps.guard
    async def staff_button(ack, body: dict, respond: Respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        press = button_press(body)
        who = await deps.who(press.user_id)
        lead_id = number(press.value)
        if lead_id is None:
            return
        action, consent = _BUTTONS[press.action_id]
        await answer_reply(respond, await act(deps, who, action, lead_id, consent), who.language)
