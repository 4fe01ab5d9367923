"""*Show details* / *Show less* under a sales kit: the same message, expanded or folded.

The button's value is the kit's outbox row. At the press the kit is read again
(:func:`bot.delivery.content_views.reopen_content`): only the rep it was sent to, only
while they own the lead, only items unchanged and still valid — the expanded message never
shows an offer that expired since, and a forged value shows nothing. The message is
edited in place (``chat.update``); a kit too large for one message continues in its thread.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.results import Reply
from bot.delivery.content_views import reopen_content
from bot.delivery.notices import MessageView
from bot.handlers.slack import sales_kit
from bot.handlers.slack.deps import Respond, SlackDeps, answer_reply
from bot.handlers.slack.payloads import ButtonPress, button_press, number


async def _kit(deps: SlackDeps, ref: int, rep_id: int) -> MessageView | None:
    async with deps.runtime.uow() as uow:
        return await reopen_content(uow.session, uow.settings, ref, rep_id, uow.clock.now())


async def _show(
    client: AsyncWebClient, press: ButtonPress, view: MessageView, expanded: bool
) -> None:
    messages = sales_kit.details(view) if expanded else [sales_kit.summary(view)]
    first, *rest = messages
    await client.chat_update(
        channel=press.channel_id, ts=press.message_ts, text=first.text, blocks=first.blocks
    )
    for more in rest:
        await client.chat_postMessage(
            channel=press.channel_id, thread_ts=press.message_ts, text=more.text, blocks=more.blocks
        )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def pressed(
        body: dict, respond: Respond, client: AsyncWebClient, *, expanded: bool
    ) -> None:
        press = button_press(body)
        who = await deps.rep(press.user_id, respond)
        if who is None:
            return
        ref = number(press.value)
        view = await _kit(deps, ref, who.rep_id) if ref is not None else None
        if view is None or press.channel_id is None or press.message_ts is None:
            await answer_reply(respond, Reply("kit.gone", ok=False), who.language)
            return
        await _show(client, press, view, expanded)

    @app.action(sales_kit.DETAILS)
    @deps.guard
    async def details(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await pressed(body, respond, client, expanded=True)

    @app.action(sales_kit.LESS)
    @deps.guard
    async def less(ack, body: dict, respond: Respond, client: AsyncWebClient) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await pressed(body, respond, client, expanded=False)
