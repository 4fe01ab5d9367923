"""The one place a confirmed one-click link calls the core.

Kept to one small function on purpose: the lead engineer is replacing the chat parsers with
one typed command model and executor in ``bot/chat/``; switching e-mail over to it is a
change here only.
"""

from __future__ import annotations

from bot.chat.interactions import Interactions, Reply, rep_identity
from bot.leads.progress import Report
from bot.models import Platform, Rep
from bot.runtime import Runtime


async def perform(runtime: Runtime, rep: Rep, target_id: int, report: Report | None) -> Reply:
    """Claim the offer ``target_id`` as ``rep`` (``report`` None), or report on lead
    ``target_id`` — exactly as a button press on a chat platform would."""
    who = rep_identity(Platform.EMAIL, rep.email, rep)
    interactions = Interactions(runtime)
    if report is None:
        return await interactions.claim(who, target_id)
    return await interactions.report(who, target_id, report)
