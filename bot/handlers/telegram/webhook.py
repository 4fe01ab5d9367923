"""``POST /telegram/webhook``: where Telegram delivers updates in webhook mode.

The secret registered with ``setWebhook`` comes back in ``X-Telegram-Bot-Api-Secret-Token``
and is compared in constant time before anything is read: a wrong or missing secret gets
403 and nothing is processed. A body over 1 MB gets 413 (read no further than that). A body
that is not an update gets 400: not JSON, JSON nested deeper than
:data:`bot.safejson.MAX_DEPTH`, not an object, no integer ``update_id``, fields that are
not what the Bot API sends (``{"update_id": 1, "message": "hello"}``) — whatever
python-telegram-bot cannot turn into an ``Update`` — or a number (a user or chat id) wider
than 64 bits (:func:`~bot.handlers.telegram.updates.read_update`). Nothing of the body is
logged. While the bot is still starting (Telegram unreachable at start), updates get 503
and Telegram delivers them again later. Repeated ``update_id``s (Telegram retries) are
processed once.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from telegram import Update

from bot import safejson
from bot.handlers.telegram.bot import TelegramBot
from bot.handlers.telegram.updates import Unreadable, read_update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000


async def _read_body(request: Request) -> bytes | None:
    """The body, or None as soon as it is longer than :data:`MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def as_update(body: bytes, tg: TelegramBot) -> tuple[Update | None, str]:
    """The update in ``body``, or None and why not (for the log: no content, only a reason)."""
    try:
        data: Any = safejson.loads(body)
    except safejson.JsonProblem as exc:
        return None, exc.message.split(":")[0]
    try:
        return read_update(data, tg.bot), ""
    except Unreadable as exc:
        return None, str(exc)


def webhook_router(tg: TelegramBot) -> APIRouter:
    router = APIRouter()
    assert tg.settings.webhook_secret is not None
    expected = tg.settings.webhook_secret.get_secret_value().encode()

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            return Response("wrong or missing secret token", status_code=403)
        body = await _read_body(request)
        if body is None:
            return Response("update too large", status_code=413)
        update, why = as_update(body, tg)
        if update is None:
            log.info("telegram webhook: refused a body that is not an update (%s)", why)
            return Response("not a Telegram update", status_code=400)
        if not tg.ready.is_set():
            return Response("starting; try again", status_code=503)
        await tg.handle(update)
        return Response(status_code=200)

    return router
