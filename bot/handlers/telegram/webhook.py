"""``POST /telegram/webhook``: where Telegram delivers updates in webhook mode.

The secret registered with ``setWebhook`` comes back in ``X-Telegram-Bot-Api-Secret-Token``
and is compared in constant time before anything is read: a wrong or missing secret gets
403 and nothing is processed. A body that is not an update gets 400. While the bot is still
starting (Telegram unreachable at start), updates get 503 and Telegram delivers them again
later. Repeated ``update_id``s (Telegram retries) are processed once.
"""

from __future__ import annotations

import json
import logging
import secrets

from fastapi import APIRouter, Request, Response
from telegram import Update

from bot.handlers.telegram.bot import TelegramBot

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000


def webhook_router(tg: TelegramBot) -> APIRouter:
    router = APIRouter()
    assert tg.settings.webhook_secret is not None
    expected = tg.settings.webhook_secret.get_secret_value().encode()

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            return Response("wrong or missing secret token", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response("update too large", status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, tg.bot) if isinstance(data, dict) else None
        except (ValueError, KeyError, TypeError):
            update = None
        if update is None:
            return Response("not a Telegram update", status_code=400)
        if not tg.ready.is_set():
            return Response("starting; try again", status_code=503)
        await tg.handle(update)
        return Response(status_code=200)

    return router
