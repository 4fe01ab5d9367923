"""Status buttons on the lead card (DM, App Home, ``/leads <id>``) and their modals.

The card shows Contacted, Meeting, Proposal and Won as buttons and the rare steps (Lost,
Follow-up, Hand back) in an overflow menu (``lead_more``, option values ``lost:<lead>``);
both end in :func:`_pressed`, one flow. Contacted, Meeting and Proposal are reported at
once. Won, Lost, Follow-up and Hand back open a short modal first (revenue, reason,
date); its inputs are checked before Slack gets its answer, so a bad value is shown in the
open modal (``response_action: errors``). Every report is a ``Progress`` command run by
``Interactions.execute``; the core re-queues the lead card, which the transport edits in
place, and posts the step to the staff channel.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.identity import Identity
from bot.chat.results import Reply
from bot.delivery.notices import LeadCardView
from bot.handlers.slack import blocks, home, lead_cards
from bot.handlers.slack.deps import (
    Respond,
    SlackDeps,
    ack_once,
    answer,
    answer_reply,
    decide,
    tell_after_modal,
    unknown_user,
)
from bot.handlers.slack.modals import WITH_MODAL, action_of, read_report, report_modal
from bot.handlers.slack.payloads import ButtonPress, button_press, number, view_submission
from bot.leads.status_reports import Report, StatusAction

log = logging.getLogger(__name__)

STATUS_BUTTON = re.compile(
    "^" + re.escape(lead_cards.STATUS_PREFIX) + "(" + "|".join(a.value for a in StatusAction) + ")$"
)
MORE_OPTION = re.compile("(" + "|".join(a.value for a in StatusAction) + r"):(\d{1,12})")
MODAL = re.compile(r"^report_")


async def _tell(
    deps: SlackDeps, client: AsyncWebClient, who: Identity, reply: Reply, channel: str
) -> None:
    """Answer after a modal: ephemeral where the card is, else in App Home."""
    if not await tell_after_modal(client, who, reply, channel):
        await home.publish(deps, client, who, notice=blocks.reply(reply, who.language).text)


async def _report(deps: SlackDeps, who: Identity, lead_id: int, report: Report) -> Reply:
    result = await deps.interactions.execute(who, c.Progress(lead_id, report))
    assert isinstance(result, Reply)
    return result


async def _refusal(
    deps: SlackDeps, who: Identity, action: StatusAction, lead_id: int
) -> Reply | None:
    """Why a step that needs a modal cannot be reported now, before the rep fills it in:
    the lead is not their company's (or does not exist), or its card no longer offers the
    step (a colleague reported meanwhile, an old ``/leads`` answer) — Telegram checks the
    same at the press. Staff see no buttons on a lead that is not theirs: their report is
    left to the core, as before."""
    card = await deps.interactions.execute(who, c.ShowLead(lead_id))
    if isinstance(card, Reply):
        return card
    assert isinstance(card, LeadCardView)
    if action.value in card.actions or (who.is_staff and not card.actions):
        return None
    return Reply(
        "reply.not_now", ok=False, params={"lead_id": lead_id, "status": card.status.value}
    )


async def _pressed(
    deps: SlackDeps,
    client: AsyncWebClient,
    respond: Respond,
    press: ButtonPress,
    chosen: tuple[StatusAction, int] | None,
    ack: Any,
) -> None:
    """One status action chosen on a card (a button or the overflow menu): the same flow.

    A step reported at once (Contacted, Meeting, Proposal) is decided before Slack gets its
    200, like a report from a modal: an acknowledged press is applied. Opening a modal
    changes nothing, so that press is acknowledged first."""
    who = await deps.who(press.user_id)
    if not who.known:
        await ack_once(ack)
        if press.in_home:
            await home.publish(deps, client, who)
        else:
            await answer(respond, unknown_user(who))
        return
    if chosen is None:
        reply = Reply("reply.not_found", ok=False, params={"lead_id": press.value})
    elif chosen[0] in WITH_MODAL and press.trigger_id:
        action, lead_id = chosen
        await ack_once(ack)
        refused = await _refusal(deps, who, action, lead_id)
        if refused is None:
            origin: dict[str, Any] = {"channel": None if press.in_home else press.channel_id}
            modal = report_modal(action, lead_id, who.language, deps.today(), origin)
            await client.views_open(trigger_id=press.trigger_id, view=modal)  # guard tells failures
            return
        reply = refused
    else:
        action, lead_id = chosen
        reply = await _report(deps, who, lead_id, Report(action))
    await ack_once(ack)
    if press.in_home:
        await home.publish(deps, client, who, notice=blocks.reply(reply, who.language).text)
        return
    await answer_reply(respond, reply, who.language)
    await home.publish(deps, client, who)


def chosen_option(value: str) -> tuple[StatusAction, int] | None:
    """``lost:12`` from the overflow menu -> (LOST, 12); anything else -> None."""
    match = MORE_OPTION.fullmatch(value)
    lead_id = number(match.group(2)) if match else None
    if match is None or lead_id is None:
        return None
    return StatusAction(match.group(1)), lead_id


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(STATUS_BUTTON)
    @deps.guard
    async def status_button(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        press: ButtonPress = button_press(body)
        action = StatusAction(press.action_id.removeprefix(lead_cards.STATUS_PREFIX))
        lead_id = number(press.value)
        chosen = None if lead_id is None else (action, lead_id)
        await decide(_pressed(deps, client, respond, press, chosen, ack), ack)

    @app.action(lead_cards.MORE)
    @deps.guard
    async def more_menu(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        press = button_press(body)
        await decide(_pressed(deps, client, respond, press, chosen_option(press.value), ack), ack)

    @app.view(MODAL)
    @deps.guard
    async def submitted(ack, body: dict, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        sub = view_submission(body)
        action = action_of(sub.callback_id)
        who = await deps.who(sub.user_id)
        lead_id = sub.row_id("lead_id")
        if action is None or lead_id is None:
            await ack()
            return
        result = read_report(action, sub.values, who.language, deps.today())
        if isinstance(result, dict):
            await ack(response_action="errors", errors=result)
            return
        # Decided before the ack (like a decline): an acknowledged report is applied.
        reply = await decide(_report(deps, who, lead_id, result), ack)
        channel = sub.metadata.get("channel")
        if not isinstance(channel, str) or not channel:  # opened from App Home
            await home.publish(deps, client, who, notice=blocks.reply(reply, who.language).text)
            return
        if not reply.ok:
            await _tell(deps, client, who, reply, channel)
        await home.publish(deps, client, who)
