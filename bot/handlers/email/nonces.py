"""Single use of a link, decided by the database: inserting its nonce *is* using it.

``used_links.nonce`` is the primary key, so of two clicks at the same moment — in one
process or several — exactly one insert succeeds; the other gets a unique violation and
is told the link was already used. Expired rows are deleted now and then (an expired link
is refused before this table is asked, so forgetting its nonce changes nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.email.links import Link
from bot.models import UsedLink
from bot.runtime import Runtime
from bot.schemawatch import wait_if_behind
from bot.supervisor import PASS_SECONDS, failing, working

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600.0


async def is_used(session: AsyncSession, link: Link) -> bool:
    found = await session.scalar(select(UsedLink.nonce).where(UsedLink.nonce == link.nonce))
    return found is not None


async def use(runtime: Runtime, link: Link) -> bool:
    """Mark ``link`` used; False if it already was (by this click's twin, or earlier)."""
    async with runtime.uow() as uow:
        uow.session.add(
            UsedLink(
                nonce=link.nonce,
                purpose=link.purpose.value,
                used_at=uow.clock.now(),
                expires_at=link.expires_at,
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            return False
    return True


async def release(runtime: Runtime, link: Link) -> None:
    """Give a link back after the action failed on our side, so the rep can try again."""
    async with runtime.uow() as uow:
        await uow.session.execute(delete(UsedLink).where(UsedLink.nonce == link.nonce))
        await uow.commit()


async def purge_expired(runtime: Runtime) -> int:
    """Delete the nonces of links that expired more than a day ago."""
    cutoff = runtime.clock.now() - timedelta(days=1)
    async with runtime.uow() as uow:
        result = await uow.session.execute(delete(UsedLink).where(UsedLink.expires_at < cutoff))
        await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def purge_job(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """A background job for ``leadbot serve``: purge expired nonces every hour."""

    async def purge_used_links() -> None:
        while True:
            try:
                removed = await purge_expired(runtime)
                if removed:
                    log.info("email: forgot %d expired one-time link(s)", removed)
                working(within=PURGE_EVERY_SECONDS + PASS_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not await wait_if_behind(exc):
                    failing(exc, within=PURGE_EVERY_SECONDS + PASS_SECONDS)
                    log.exception("email: purging expired links failed; trying again later")
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    return purge_used_links
