"""Elements leadbot no longer knows: an old message's button or menu, answered, not failed.

Slack messages stay in a channel or DM for good, and their buttons with them; a button of
an earlier leadbot version (a status menu that is now the "⋯" menu, say) may be pressed
years later. Without a listener Bolt answers 404 and Slack shows the rep a warning triangle
and nothing else. This listener is registered after every other one, so it sees only the
actions no other listener took: it acknowledges and says that the button is outdated, as
Telegram's bot does for callback data it does not know; in App Home the tab is refreshed
with the same words. Nothing changes.
"""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers.slack import home
from bot.handlers.slack.deps import Respond, SlackDeps, answer
from bot.handlers.slack.kit import Message, esc, section
from bot.handlers.slack.payloads import button_press
from bot.i18n import t

log = logging.getLogger(__name__)

ANY = re.compile(".*")


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(ANY)
    @deps.guard
    async def outdated(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        await ack()
        press = button_press(body)
        log.info("slack: a press of an element leadbot does not know; told the user")
        who = await deps.who(press.user_id)
        words = esc(t(who.language, "slack.outdated"))
        if press.in_home:
            await home.publish(deps, client, who, notice=f":warning: {words}")
            return
        await answer(respond, Message(f":warning: {words}", [section(f":warning: {words}")]))
