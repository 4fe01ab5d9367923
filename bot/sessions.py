"""Closing a session without hanging: shared by the unit of work and the plain sessions of
batched reads (:mod:`bot.batching` users) and seen marks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import READ_ONLY

CLOSE_GRACE_SECONDS = 2.0
"""How long a cancelled task still waits for its session's close (see :func:`close_bounded`)."""


async def close_bounded(session: AsyncSession) -> None:
    """Close ``session``; if the task is cancelled meanwhile (a shutdown), let the close
    finish for a moment first.

    A close interrupted during the pool's rollback leaves the connection half reset and an
    error traceback in the log; waiting for it without a bound (as SQLAlchemy's own exit
    does) can keep a cancelled task alive forever when the connection never answers —
    also when the cancellation came before the close (a ``finally`` after a cancelled
    query), so a task already being cancelled waits only the grace period too."""
    closing = asyncio.ensure_future(session.close())
    task = asyncio.current_task()
    if task is not None and task.cancelling():  # cancelled already (the close is in a finally)
        closing.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(closing), CLOSE_GRACE_SECONDS)
        return
    try:
        await asyncio.shield(closing)
    except asyncio.CancelledError:
        closing.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(closing), CLOSE_GRACE_SECONDS)
        raise


@contextlib.asynccontextmanager
async def plain_session(
    sessions: async_sessionmaker[AsyncSession], *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session outside a unit of work (batched reads, seen marks), closed as a unit of
    work closes its own (:func:`close_bounded`): a cancelled task waits for the close at most
    :data:`CLOSE_GRACE_SECONDS`. ``read_only`` begins without SQLite's write lock."""
    session = sessions()
    try:
        if read_only:
            await session.connection(execution_options={READ_ONLY: True})
        yield session
    finally:
        await close_bounded(session)
