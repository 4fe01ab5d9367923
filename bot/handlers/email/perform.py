"""The one place a confirmed one-click link calls the core: as a typed command, exactly as
a button press on a chat platform would (``Claim`` for a teaser's link, ``Progress`` for a
lead card's), run by ``Interactions.execute`` with its permission rules."""

from __future__ import annotations

from bot.chat import commands as c
from bot.chat.identity import rep_identity
from bot.chat.interactions import Interactions
from bot.chat.results import Reply
from bot.leads.progress import Report
from bot.models import Platform, Rep
from bot.runtime import Runtime


async def perform(runtime: Runtime, rep: Rep, target_id: int, report: Report | None) -> Reply:
    """Claim the offer ``target_id`` as ``rep`` (``report`` None), or report on lead
    ``target_id``."""
    who = rep_identity(Platform.EMAIL, rep.email, rep)
    command = c.Claim(target_id) if report is None else c.Progress(target_id, report)
    result = await Interactions(runtime).execute(who, command)
    assert isinstance(result, Reply)
    return result
