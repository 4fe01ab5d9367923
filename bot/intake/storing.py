"""Storing API leads: a batch in one transaction, or each lead alone when the batch fails.

:mod:`bot.intake.batches` decides which leads go together; this module stores them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.actors import Actor
from bot.config import TombstoneKeyMismatch
from bot.dbfaults import unavailable
from bot.errors import Gone
from bot.intake.schema import LeadIn
from bot.intake.service import IntakeResult, receive
from bot.intake.together import LeadsTogether
from bot.models import Lead
from bot.runtime import Runtime
from bot.writegate import Turn


async def store_batch(
    runtime: Runtime, leads: Sequence[LeadIn], actor: Actor
) -> list[IntakeResult | BaseException]:
    """Store ``leads`` in one transaction, as if one after the other.

    A lead refused before anything of it was written (:class:`~bot.errors.Gone`) gets its
    error and the others go on. If the transaction fails otherwise — a lead that breaks a
    constraint, another process storing the same new ``external_id`` — nothing of the
    batch was stored, and each lead is stored again on its own so that only the culprit
    fails. A database that does not answer fails the whole batch at once: trying each
    lead again would make the last one wait for a timeout per lead before its 503. (Once
    leads are stored one by one, each gets its own answer, a 503 included: some may be
    stored by then.)
    """
    if len(leads) == 1:
        result = await _alone_or_error(runtime, leads[0], actor)
        if isinstance(result, Exception) and unavailable(result):
            raise result  # the whole batch failed: the leads queued behind it fail too
        return [result]
    results: list[IntakeResult | BaseException] = []
    try:
        async with runtime.uow(Turn.INTAKE) as uow, uow.outbox.grouped():
            together = LeadsTogether(uow, leads)
            for lead in leads:
                try:
                    results.append(await receive(uow, lead, actor, together))
                except Gone as exc:
                    results.append(exc)
                # The statements of a write transaction run on the event loop's thread
                # (bot/sqlite_hops.py): let the other tasks have a turn between leads.
                await asyncio.sleep(0)
            await uow.commit()
    except TombstoneKeyMismatch:
        raise  # nothing was stored, and alone each lead would be refused the same way
    except Exception as exc:
        if unavailable(exc):
            raise
        return [await _alone_or_error(runtime, lead, actor) for lead in leads]
    return results


async def _alone_or_error(
    runtime: Runtime, lead: LeadIn, actor: Actor
) -> IntakeResult | BaseException:
    try:
        return await store_alone(runtime, lead, actor)
    except Exception as exc:  # this lead's own answer (a 410, a 503, a 500)
        return exc


async def store_alone(runtime: Runtime, lead: LeadIn, actor: Actor) -> IntakeResult:
    """Store one lead in its own transaction."""
    try:
        async with runtime.uow(Turn.INTAKE) as uow:
            result = await receive(uow, lead, actor)
            await uow.commit()
            return result
    except IntegrityError:
        # Two requests with the same new external_id at once: the loser returns the winner's.
        if lead.external_id is None:
            raise
        async with runtime.uow() as uow:
            existing = await uow.session.scalar(
                select(Lead).where(Lead.external_id == lead.external_id)
            )
        if existing is None:
            raise
        return IntakeResult(existing.id, existing.status, created=False)
