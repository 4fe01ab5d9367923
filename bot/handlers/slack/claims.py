"""The Claim button under a teaser: stored before the ack, decided and answered right after.

A press is *persisted first and processed from there* (:mod:`bot.inbox`): the request is
checked (signature, shape), the press and its seen mark are written in one transaction —
together with the presses arriving at the same moment — and Slack gets its 200. The inbox
then decides it — the core's single conditional UPDATE (a ``Claim`` command run by
``Interactions.execute``: exactly one presser wins) — and the presser hears the outcome
through the ``response_url``; the winner's App Home is refreshed. The winner's lead card,
the content pack and the "taken" edits of every other teaser come through the outbox.

An acknowledged press is never lost: a crash after the ack leaves the stored press, and a
process takes it up when its lease has run out. In HTTP mode a Claim press does not go
through Bolt at all (:func:`fast_path`: one parse, no listener matching); in Socket Mode
Bolt's listener does the same (:func:`register`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.results import Reply
from bot.handlers.slack import gate, home
from bot.handlers.slack.blocks import CLAIM
from bot.handlers.slack.deps import (
    Respond,
    SlackDeps,
    answer,
    answer_reply,
    report_failure,
    unknown_user,
)
from bot.handlers.slack.payloads import PayloadError, button_press, delivery_key, number
from bot.handlers.slack.respond import KeptAliveRespond
from bot.inbox import Accepted, Press

log = logging.getLogger("bot.handlers.slack")

PLATFORM = "slack"


def reply_address(payload: Mapping[str, Any], origin: gate.Origin) -> str | None:
    """The payload's ``response_url`` if it is on Slack's hooks host, else None."""
    url = payload.get("response_url")
    if url is None:
        return None
    if not isinstance(url, str) or not gate.is_hook(url, origin):
        log.warning("slack: a press named a response_url outside %s; it is not called", origin[1])
        return None
    return url


def claim_press(payload: Mapping[str, Any], origin: gate.Origin) -> Press | None:
    """The Claim press in a ``block_actions`` payload, or None for any other request;
    :class:`PayloadError` for a Claim press that lacks what a press has (the user id)."""
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or len(actions) != 1 or not isinstance(actions[0], Mapping):
        return None
    if actions[0].get("action_id") != CLAIM:
        return None
    pressed = button_press(payload)
    trigger = payload.get("trigger_id")
    raw = "" if isinstance(trigger, str) and trigger else json.dumps(payload, sort_keys=True)
    return Press(
        key=f"{PLATFORM}:{delivery_key(payload, raw)}",
        platform=PLATFORM,
        user_id=pressed.user_id[:64],
        action=CLAIM,
        value=pressed.value[:200],
        reply_to=reply_address(payload, origin),
    )


class ClaimAnswers:
    """The inbox's handler for Slack Claim presses (a :class:`~bot.inbox.PressHandler`)."""

    def __init__(self, deps: SlackDeps, client: AsyncWebClient) -> None:
        self.deps = deps
        self.client = client  # the outbox's: bot token, kept-alive session while serving

    def respond_to(self, url: str | None) -> Respond:
        if url is not None:
            return KeptAliveRespond(url, self.client)

        async def nowhere(*_args: Any, **_kwargs: Any) -> None:
            log.info("slack: not answering via a response_url (none, or not Slack's)")

        return nowhere

    async def handle(self, press: Press) -> None:
        deps, respond = self.deps, self.respond_to(press.reply_to)
        who = await deps.who(press.user_id)
        if who.rep_id is None:
            await answer(respond, unknown_user(who))
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
            await home.publish(deps, self.client, who)

    async def failed(self, press: Press, error: BaseException) -> None:
        body = {"type": "block_actions"}
        await report_failure(self.deps.runtime, body, error, self.respond_to(press.reply_to))


async def take(answers: ClaimAnswers, payload: Mapping[str, Any], origin: gate.Origin) -> bool:
    """Hand a checked request's Claim press to the inbox before the ack (True), or leave a
    request that is no Claim press (False). A press that cannot be stored, or is malformed,
    is answered "try again" (pressing again is safe)."""
    try:
        press = claim_press(payload, origin)
    except PayloadError as error:
        respond = answers.respond_to(reply_address(payload, origin))
        await report_failure(answers.deps.runtime, dict(payload), error, respond)
        return True
    if press is None:
        return False
    presses = answers.deps.presses
    assert presses is not None, "the Slack app's press inbox is made with its dependencies"
    try:
        accepted = await presses.accept(press)
    except Exception as error:
        await answers.failed(press, error)
        return True
    if accepted is Accepted.REPEATED:
        log.info("slack: ignored a repeated delivery (%s)", press.key.split(":")[1])
    return True


def fast_path(
    answers: ClaimAnswers, origin: gate.Origin
) -> Callable[[Mapping[str, Any]], Awaitable[bool]]:
    """For ``POST /slack/events``: take a checked request's Claim press (True), or leave the
    request to Bolt (False)."""

    async def claim_before_bolt(payload: Mapping[str, Any]) -> bool:
        return await take(answers, payload, origin)

    return claim_before_bolt


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Bolt's listener, for Socket Mode (in HTTP mode :func:`fast_path` comes first)."""
    answers = deps.presses.handler if deps.presses is not None else None
    assert isinstance(answers, ClaimAnswers), "the press inbox is made before the listeners"
    origin = gate.hooks_origin(deps.runtime.settings.slack.api_url)

    @app.action(CLAIM)
    async def claim(ack, body: dict) -> None:  # type: ignore[no-untyped-def]
        await take(answers, body, origin)
        await ack()
