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

from bot.chat.interactions import Identity
from bot.handlers.slack.deps import SlackDeps, as_rep, unknown_user
from bot.handlers.slack.lists import HOME_REFRESH, home_view
from bot.handlers.slack.payloads import button_press, home_opened
from bot.leads.progress import available_actions
from bot.reports.pipeline import pipeline

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
    leads = actions_for = None
    if who.rep_id is not None:
        leads = await deps.interactions.my_leads(as_rep(who))
        actions_for = {
            lead.id: tuple(a.value for a in available_actions(lead.status)) for lead in leads
        }
    report = None
    if who.is_staff:
        async with deps.runtime.uow() as uow:
            report = await pipeline(uow)
    return home_view(
        who.language,
        leads=leads,
        actions_for=actions_for or {},
        pipeline=report,
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
