"""App Home: the rep's cockpit (open leads, status, next follow-up, the same buttons as the
DM card) and, for staff, the pipeline.

Published with ``views.publish`` when the user opens the tab, presses Refresh, and after
they claim or report (so the tab never shows a stale status to the person who changed
it). Other reps of the same partner see the change the next time they open the tab.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import commands as c
from bot.chat.identity import Identity
from bot.chat.results import LeadList
from bot.handlers.slack.deps import SlackDeps, unknown_user
from bot.handlers.slack.lists import HOME_REFRESH, home_view
from bot.handlers.slack.payloads import button_press, home_opened
from bot.leads.status_reports import available_actions

log = logging.getLogger(__name__)


async def build(deps: SlackDeps, who: Identity, notice: str | None = None) -> dict:
    """The home view for ``who`` as it is right now."""
    if not who.known:
        return home_view(
            who.language,
            leads=None,
            actions_for={},
            pipeline=None,
            notice=unknown_user(who).text,
            now=deps.runtime.clock.now(),
        )
    listed = await deps.interactions.execute(who, c.ListLeads())
    assert isinstance(listed, LeadList)
    leads = listed.mine if who.is_rep else None
    actions_for = {
        lead.id: tuple(a.value for a in available_actions(lead.status)) for lead in leads or ()
    }
    return home_view(
        who.language,
        leads=leads,
        actions_for=actions_for,
        pipeline=listed.pipeline,
        notice=notice,
        now=deps.runtime.clock.now(),
    )


async def publish(
    deps: SlackDeps, client: AsyncWebClient, who: Identity, notice: str | None = None
) -> None:
    """Publish ``who``'s App Home; a failure is logged, never raised at the user."""
    try:
        await client.views_publish(user_id=who.user_id, view=await build(deps, who, notice))
    except Exception:
        log.warning("slack: could not publish App Home", exc_info=True)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.event("app_home_opened")
    @deps.guard
    async def home_tab_opened(event: dict, client: AsyncWebClient) -> None:
        opened = home_opened(event)
        if opened.tab == "home":
            await publish(deps, client, await deps.who(opened.user_id))

    @app.action(HOME_REFRESH)
    @deps.guard
    async def refresh(ack, body: dict, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await publish(deps, client, await deps.who(button_press(body).user_id))
