"""The one place a confirmed one-click link calls the core: as a typed command, exactly as
a button press on a chat platform would (``Claim`` or ``Decline`` for a teaser's links,
``Progress`` for a lead card's), run by ``Interactions.execute`` with its permission rules."""

from __future__ import annotations

from bot.chat import commands as c
from bot.chat.identity import rep_identity
from bot.chat.interactions import Interactions
from bot.chat.results import Reply
from bot.models import Platform, Rep
from bot.runtime import Runtime


async def perform(runtime: Runtime, rep: Rep, command: c.Command) -> Reply:
    """Run ``command`` as ``rep``, as if they had pressed the button in a chat."""
    who = rep_identity(Platform.EMAIL, rep.email, rep)
    result = await Interactions(runtime).execute(who, command)
    assert isinstance(result, Reply)
    return result
