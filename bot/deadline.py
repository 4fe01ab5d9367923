"""A commit deadline for work that someone is waiting on (a Slack press before its ack).

A press must be decided within about two seconds. Cancelling a database call half-way is
fragile (an aiosqlite call stuck in its driver thread leaves a connection closing in the
background), so the late work is not cancelled: it runs on until the database answers —
bounded by the database timeouts — and :meth:`bot.uow.UnitOfWork.commit` refuses to commit
once the deadline has passed. The transaction rolls back, nothing changed, and the press
that was not acknowledged can be pressed again.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_deadline: ContextVar[float | None] = ContextVar("leadbot_commit_deadline", default=None)


class DeadlinePassed(Exception):
    """The work came too late to be committed (its caller has already given up)."""


def start_with_deadline(work: Coroutine[Any, Any, T], seconds: float) -> asyncio.Task[T]:
    """Run ``work`` as a task whose commits must happen within ``seconds`` from now."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    context.run(_deadline.set, loop.time() + seconds)
    return loop.create_task(work, context=context)


def check_deadline() -> None:
    """Raise :class:`DeadlinePassed` if this task's commit deadline has passed."""
    deadline = _deadline.get()
    if deadline is not None and asyncio.get_running_loop().time() > deadline:
        raise DeadlinePassed
