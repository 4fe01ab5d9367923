"""Knowing whether Telegram answered a call with success, even when the answer is unreadable.

python-telegram-bot parses the Bot API's answer into objects; an answer in a slightly
different shape (a field renamed, the result wrapped one level deeper, not JSON) makes
that parsing fail *after* Telegram took the message. Treated as a failure, the outbox
would send the message again — the same lead card six times. So the bot's HTTP layer
notes the status of each answer for whoever asks (:func:`watching`): a call that ended
in an exception but got HTTP 2xx was performed, and counts as sent with an unknown
reference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from telegram.request import HTTPXRequest, RequestData

CONNECTION_POOL_SIZE = 256  # what python-telegram-bot's builder uses for the bot by default


@dataclass
class Answers:
    """HTTP statuses of the calls made while watching, in order."""

    statuses: list[int] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """The last call was answered with HTTP 2xx."""
        return bool(self.statuses) and 200 <= self.statuses[-1] < 300


_watching: ContextVar[Answers | None] = ContextVar("telegram_answers", default=None)


@contextlib.contextmanager
def watching() -> Iterator[Answers]:
    """Note the HTTP status of every Bot API call made in this block (this task only)."""
    answers = Answers()
    token = _watching.set(answers)
    try:
        yield answers
    finally:
        _watching.reset(token)


class AnsweredRequest(HTTPXRequest):
    """PTB's HTTPX request that reports each answer's status to :func:`watching`."""

    def __init__(self) -> None:
        super().__init__(connection_pool_size=CONNECTION_POOL_SIZE)

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: object
    ) -> tuple[int, bytes]:
        status, payload = await super().do_request(url, method, request_data, **timeouts)  # type: ignore[arg-type]
        answers = _watching.get()
        if answers is not None:
            answers.statuses.append(status)
        return status, payload
