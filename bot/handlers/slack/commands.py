"""The ``/leads`` slash command. Every answer is ephemeral: only the asker sees it.

Syntax (``docs/slack.md``)::

    /leads                       reps: your company's open leads; staff: the pipeline
    /leads <id>                  one lead in full (its owner's reps and staff), with buttons
    /leads help                  the commands
    /leads explain <id> [partner]            staff: why each partner got the lead or not
    /leads release <id> [consent]            staff: let a held lead go to matching
    /leads reoffer <id> | recall <id> | erase <id>   staff
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp

from bot.chat.interactions import Identity, Reply, confirms_consent
from bot.handlers.slack import blocks, staff
from bot.handlers.slack.deps import Respond, SlackDeps, answer, as_rep, unknown_user
from bot.handlers.slack.kit import MAX_BLOCKS, Block, Message, esc, section
from bot.handlers.slack.lists import help_blocks, leads_blocks
from bot.handlers.slack.payloads import number, slash_command
from bot.i18n import t

COMMAND = "/leads"
STAFF_VERBS = ("explain", "release", "reoffer", "recall", "erase")


@dataclass(frozen=True)
class LeadsCommand:
    verb: str  # list, help, show, or one of STAFF_VERBS
    lead_id: int | None = None
    partner_id: str | None = None
    consent: bool = False


def parse(text: str) -> LeadsCommand | None:
    """The command in ``/leads <text>``; None when it cannot be understood."""
    words = text.split()
    if not words:
        return LeadsCommand("list")
    verb = words[0].lower()
    if verb in ("help", "hilfe", "?") and len(words) == 1:
        return LeadsCommand("help")
    if len(words) == 1 and (lead_id := number(words[0])) is not None:
        return LeadsCommand("show", lead_id)
    if len(words) < 2 or (lead_id := number(words[1])) is None:
        return None
    rest = words[2:]
    if verb in ("show", "lead") and not rest:
        return LeadsCommand("show", lead_id)
    if verb == "explain" and len(rest) <= 1:
        return LeadsCommand("explain", lead_id, partner_id=rest[0] if rest else None)
    if verb == "release" and (not rest or (len(rest) == 1 and confirms_consent(rest))):
        return LeadsCommand("release", lead_id, consent=bool(rest))
    if verb in STAFF_VERBS and not rest:
        return LeadsCommand(verb, lead_id)
    return None


async def overview(deps: SlackDeps, who: Identity) -> Message:
    """``/leads``: a rep's open leads; for staff the pipeline (both for a rep on staff)."""
    found: list[Block] = []
    if who.rep_id is not None:
        leads = await deps.interactions.my_leads(as_rep(who))
        found.extend(leads_blocks(leads, who.language))
    text = t(who.language, "reply.my_leads")
    if who.is_staff:
        pipeline = await staff.pipeline_message(deps, who)
        found.extend(pipeline.blocks)
        text = pipeline.text
    return Message(esc(text), found[:MAX_BLOCKS])


async def run(deps: SlackDeps, who: Identity, command: LeadsCommand) -> Message:
    if command.verb == "help":
        return Message(
            "/leads", help_blocks(who.language, staff=who.is_staff, rep=who.rep_id is not None)
        )
    if not who.known:
        return unknown_user(who)
    if command.verb == "list":
        return await overview(deps, who)
    assert command.lead_id is not None
    if command.verb == "show":
        card = await deps.interactions.lead_card(who, command.lead_id)
        return (
            blocks.reply(card, who.language) if isinstance(card, Reply) else blocks.lead_card(card)
        )
    if command.verb == "explain":
        return await staff.explanation(deps, who, command.lead_id, command.partner_id)
    reply = await staff.act(deps, who, command.verb, command.lead_id, command.consent)
    return blocks.reply(reply, who.language)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.command(COMMAND)
    @deps.guard
    async def leads(ack, body: dict, respond: Respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        typed = slash_command(body)
        who = await deps.who(typed.user_id)
        command = parse(typed.text)
        if command is None:
            words = esc(t(who.language, "slack.usage", text=typed.text))
            await answer(respond, Message(words, [section(f":grey_question: {words}")]))
            return
        await answer(respond, await run(deps, who, command))
