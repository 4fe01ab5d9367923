"""Long polling (``[telegram] mode = "polling"``): for a bot without a public HTTPS URL.

A background job of the server (supervised: ``task:telegram-polling``) asks
``getUpdates`` (waiting up to ``[telegram] poll_timeout_seconds``), handles each update
like a webhook delivery (applied once, marked seen with its work) and confirms it with the
next offset — only after it was applied.

One bad update never stops the loop. The raw batch is read and each update parsed on its
own (PTB's ``get_updates`` parses the whole batch and fails on one unreadable update — and
logs the batch, personal data included): an update that cannot be read
(:func:`~bot.handlers.telegram.updates.read_update`: a wrong field type, a user id wider
than 64 bits) is skipped with a log line (its id and the reason, nothing of its content),
its offset is confirmed so it is not fetched forever, and ``/healthz`` shows
``telegram:polling`` as degraded ("skipped N unreadable update(s)") for
:data:`SKIP_REPORT_SECONDS`. Telegram errors back off and retry;
a 409 means another process polls with the same token (or a webhook is set): it is logged
and retried, since only one of them can receive updates. An answer that is not a list of
updates, or an update whose processing fails for lack of the database, ends the job with
an error: the supervisor restarts it with backoff, from the last confirmed offset. Each
handled answer tells the supervisor the task works (:func:`bot.supervisor.working`), so a
restarted task that was ``down`` is shown recovering as soon as it polls again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from typing import Any

from telegram.error import Conflict, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.handlers.telegram.bot import ALLOWED_UPDATES, TelegramBot
from bot.handlers.telegram.limits import seconds
from bot.handlers.telegram.updates import Unreadable, read_update
from bot.health import State
from bot.supervisor import failing, working

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1, 2, 5, 10, 30)
HEALTH_PART = "telegram:polling"
SKIP_REPORT_SECONDS = 600.0
"""How long ``/healthz`` keeps telling that unreadable updates were skipped."""
READ_MARGIN_SECONDS = 10.0


# We call getUpdates through do_api_request on purpose (raw JSON, see above); PTB suggests
# Bot.get_updates instead, once per call.
warnings.filterwarnings("ignore", r"Please use 'Bot\.getUpdates'", PTBUserWarning)


class UnexpectedAnswer(TypeError):
    """``getUpdates`` answered something that is not a list of updates."""


async def fetch(tg: TelegramBot, offset: int | None, timeout: float, limit: int = 100) -> list[Any]:
    """The raw updates (JSON objects, unparsed) from ``getUpdates``."""
    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "limit": limit,
        "allowed_updates": list(ALLOWED_UPDATES),
    }
    if offset is not None:
        kwargs["offset"] = offset
    result = await tg.bot.do_api_request(
        "getUpdates", api_kwargs=kwargs, read_timeout=timeout + READ_MARGIN_SECONDS
    )
    if not isinstance(result, list):
        raise UnexpectedAnswer(f"getUpdates answered a {type(result).__name__}, not a list")
    return result


class Poller:
    """The polling loop's state: the next offset, and the unreadable updates it skipped."""

    def __init__(self, tg: TelegramBot) -> None:
        self.tg = tg
        self.offset: int | None = None
        self.skipped = 0
        self._skipped_at: float | None = None

    def _report(self) -> None:
        health = self.tg.runtime.health
        now = asyncio.get_running_loop().time()
        if self._skipped_at is not None and now - self._skipped_at < SKIP_REPORT_SECONDS:
            detail = f"skipped {self.skipped} unreadable update(s)"
            health.report(HEALTH_PART, State.DEGRADED, detail)
        else:
            health.report(HEALTH_PART, State.OK, "receiving updates")

    def _skip(self, update_id: object, why: str) -> None:
        self.skipped += 1
        self._skipped_at = asyncio.get_running_loop().time()
        log.warning("telegram: skipped unreadable update %s (%s)", update_id, why)
        self._report()  # at once, not after the rest of the batch

    async def handle_batch(self, batch: list[Any]) -> None:
        """Apply each readable update in order; move the offset past each one handled."""
        for raw in batch:
            try:
                update = read_update(raw, self.tg.bot)
            except Unreadable as exc:
                self._skip("?" if exc.update_id is None else exc.update_id, str(exc))
                if exc.update_id is not None:
                    self.offset = max(self.offset or 0, exc.update_id + 1)
                continue
            await self.tg.handle(update)  # raises only if it could not be applied at all
            self.offset = max(self.offset or 0, update.update_id + 1)

    async def run(self) -> None:
        tg = self.tg
        failures = 0
        while True:
            try:
                batch = await fetch(tg, self.offset, tg.settings.poll_timeout_seconds)
            except RetryAfter as exc:
                await asyncio.sleep(seconds(exc.retry_after))
                continue
            except TelegramError as exc:
                delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
                failures += 1
                level = logging.ERROR if isinstance(exc, Conflict) else logging.WARNING
                log.log(level, "telegram getUpdates failed (%s); retrying in %ss", exc, delay)
                tg.runtime.health.report(
                    HEALTH_PART, State.DEGRADED, f"getUpdates failed ({type(exc).__name__})"
                )
                failing(exc)  # the task: failing, not "stuck" while Telegram stays away
                await asyncio.sleep(delay)
                continue
            failures = 0
            await self.handle_batch(batch)
            self._report()
            working()  # a restarted task is recovering, no longer down (bot.supervisor)

    async def confirm(self) -> None:
        """Tell Telegram what was handled, so a restart does not fetch it again."""
        if self.offset is None:
            return
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(fetch(self.tg, self.offset, 0, limit=1))


async def poll_forever(tg: TelegramBot) -> None:
    await tg.ready.wait()
    poller = Poller(tg)
    try:
        await poller.run()
    finally:
        await poller.confirm()
