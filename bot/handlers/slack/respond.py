"""Answers through a ``response_url`` over the server's kept-alive Slack session.

Bolt's ``respond`` builds a new webhook client, and with it a new HTTP session and a new
TCP (and TLS) connection, for every answer. When 200 reps press Claim at once that is 200
connections set up and torn down while every presser waits for their answer — a tenth of a
busy process's CPU. While ``serve`` runs, the outbox's Slack client keeps one session open
(:func:`bot.handlers.slack.running.kept_alive`); the middleware here hands each request a
``respond`` that sends through it. Outside ``serve`` (no session) Bolt's own is used.

Only URLs on Slack's hooks host get this ``respond``: :mod:`bot.handlers.slack.gate` has
already replaced any other ``response_url`` by one that sends nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient


class KeptAliveRespond(AsyncRespond):
    """Bolt's ``respond``, sending over ``client``'s open HTTP session."""

    def __init__(self, response_url: str, client: AsyncWebClient) -> None:
        super().__init__(response_url=response_url, proxy=client.proxy, ssl=client.ssl)
        self._client = client

    async def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        webhook = AsyncWebhookClient(
            url=str(self.response_url),
            session=self._client.session,
            proxy=self.proxy,
            ssl=self.ssl,
        )
        if isinstance(text, dict):
            return await webhook.send_dict(text)
        fields.pop("thread_ts", None)  # not part of a response_url message
        return await webhook.send(text=text, **fields)


def kept_alive_answers(
    client: AsyncWebClient,
) -> Callable[[AsyncBoltContext, Callable[[], Awaitable[BoltResponse]]], Awaitable[Any]]:
    """Bolt middleware: ``respond`` goes through ``client``'s session while it has one."""

    async def answer_over_kept_session(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        session = client.session
        url = context.response_url
        # Bolt has made its own ``respond`` by now (it builds every middleware's arguments);
        # the gate's stand-in for a refused URL is no AsyncRespond and stays.
        bolts = type(context.get("respond")) is AsyncRespond
        if url is not None and bolts and session is not None and not session.closed:
            context["respond"] = KeptAliveRespond(url, client)
        return await next()

    return answer_over_kept_session
