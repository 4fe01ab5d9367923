"""Long polling (``[telegram] mode = "polling"``): for a bot without a public HTTPS URL.

A background job of the server asks ``getUpdates`` (waiting up to
``[telegram] poll_timeout_seconds``), handles each update like a webhook delivery (same
de-duplication) and confirms it with the next offset. Errors back off and retry; a 409
means another process polls with the same token (or a webhook is set): it is logged and
retried, since only one of them can receive updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.error import Conflict, RetryAfter, TelegramError

from bot.handlers.telegram.bot import ALLOWED_UPDATES, TelegramBot
from bot.handlers.telegram.limits import log_failure, seconds

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1, 2, 5, 10, 30)


async def poll_forever(tg: TelegramBot) -> None:
    await tg.ready.wait()
    offset: int | None = None
    failures = 0
    try:
        while True:
            try:
                updates = await tg.bot.get_updates(
                    offset=offset,
                    timeout=tg.settings.poll_timeout_seconds,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            except RetryAfter as exc:
                await asyncio.sleep(seconds(exc.retry_after))
                continue
            except TelegramError as exc:
                delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
                failures += 1
                level = logging.ERROR if isinstance(exc, Conflict) else logging.WARNING
                log.log(level, "telegram getUpdates failed (%s); retrying in %ss", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                offset = update.update_id + 1
                try:
                    await tg.handle(update)
                except Exception as exc:
                    log_failure(log, f"telegram update {update.update_id}", exc)
    finally:
        if offset is not None:  # confirm what was handled, so a restart does not redo it
            with contextlib.suppress(TelegramError, asyncio.CancelledError):
                await asyncio.shield(tg.bot.get_updates(offset=offset, timeout=0, limit=1))
