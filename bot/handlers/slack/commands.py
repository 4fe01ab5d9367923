"""The ``/leads`` slash command: the shared command grammar behind one Slack command.

``/leads <text>`` understands every command of :mod:`bot.chat.grammar` — ``/leads`` alone
lists leads (staff: the pipeline), ``/leads 12`` shows lead 12, ``/leads won 12 61.000``,
``/leads explain 12 P-DE-001``, ``/leads help`` … — and the core decides who may do what.
Every answer is ephemeral: only the asker sees it. This module only turns text into a
command and the result into blocks.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.grammar import UsageError, parse
from bot.chat.identity import Identity
from bot.chat.results import Result
from bot.handlers.slack import cards
from bot.handlers.slack.answers import result_messages
from bot.handlers.slack.deps import Respond, SlackDeps, answer, answer_each, decide, unknown_user
from bot.handlers.slack.kit import Message, context, esc, section
from bot.handlers.slack.payloads import slash_command
from bot.handlers.text import reply_text
from bot.i18n import t
from bot.plaintext import shortened

COMMAND = "/leads"
OPEN_TO_STRANGERS = (c.Help, c.WhoAmI)


def not_understood(text: str, error: UsageError, language: str) -> Message:
    """What ``/leads`` did not understand, quoted by its start (a pasted wall of text too)."""
    words = esc(t(language, "slack.usage", text=shortened(text)))
    detail = esc(reply_text(language, error.key, error.params))
    return Message(words, [section(f":grey_question: {words}"), context(detail)])


async def run(deps: SlackDeps, who: Identity, text: str) -> Result | Message:
    """What ``/leads <text>`` gives ``who``: the command's result, or the answer to a
    command not understood or asked by a stranger."""
    try:
        command = parse(text or "leads", deps.today())
    except UsageError as error:
        return not_understood(text, error, who.language)
    if not who.known and not isinstance(command, OPEN_TO_STRANGERS):
        return unknown_user(who)
    return await deps.interactions.execute(who, command)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.command(COMMAND)
    @deps.guard
    async def leads(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        typed = slash_command(body)

        async def typed_command() -> tuple[Identity, Result | Message]:
            who = await deps.who(typed.user_id)
            return who, await run(deps, who, typed.text)

        # Decided before the ack (``/leads won 12``, ``/leads reoffer 12``): an acknowledged
        # command is applied.
        who, result = await decide(typed_command(), ack)
        if isinstance(result, Message):
            await answer(respond, result)
            return
        card = cards.kept_current(result, who)
        if card is not None:  # an owner's card: a DM message the outbox keeps current
            pointer = await cards.post_card(deps, client, who, card, typed.channel_id)
            if pointer is not None:
                await answer(respond, pointer)
            return
        await answer_each(respond, result_messages(result, who.language, prefix=f"{COMMAND} "))
