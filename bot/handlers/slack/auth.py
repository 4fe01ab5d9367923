"""Who the bot is in the workspace: Slack's ``auth.test``, asked once per process.

Bolt needs the bot's identity before any listener runs. Its built-in single-workspace
authorization asks Slack on the first request — and when thirty reps press Claim at the
same moment right after a start, all thirty would wait for their own ``auth.test`` before
Slack gets its answer. Here the answer is fetched once, behind a lock (concurrent first
requests share one call), and :meth:`BotIdentity.warm_up` fetches it at start when Slack
is reachable. It is handed to Bolt as its ``authorize`` function (:meth:`BotIdentity.hook`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("bot.handlers.slack")


class BotIdentity:
    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    def hook(self) -> Callable[[], Awaitable[AuthorizeResult]]:
        """For ``AsyncApp(authorize=...)`` (Bolt inspects the parameter names, so a plain
        function without any, not a bound method)."""

        async def authorize() -> AuthorizeResult:
            return await self.authorize()

        return authorize

    async def authorize(self) -> AuthorizeResult:
        """The bot token and ids; raises if Slack refuses."""
        if self._result is None:
            async with self._lock:
                if self._result is None:
                    answer = await self._client.auth_test(token=self._token)
                    self._result = AuthorizeResult.from_auth_test_response(
                        auth_test_response=answer, bot_token=self._token
                    )
        return self._result

    @contextlib.asynccontextmanager
    async def warm_up(self) -> AsyncIterator[None]:
        """At server start: learn the identity now, if Slack answers (else on first use)."""
        try:
            await self.authorize()
        except Exception as exc:
            log.warning("slack: auth.test failed at start (%s); trying again later", exc)
        yield
