"""``explain <lead> [partner]`` in the console: why each partner was or was not offered a lead."""

from __future__ import annotations

from bot.content.explain_text import render_partner, render_summary
from bot.content.render import escape_console
from bot.runtime import Runtime
from bot.services.errors import NotFound
from bot.services.explanations import explain_stored_lead

CONSOLE_LIMIT = 20


async def explain_text(runtime: Runtime, lead_id: int, partner_id: str | None = None) -> str:
    try:
        async with runtime.uow() as uow:
            data = await explain_stored_lead(uow, lead_id, partner_id)
    except NotFound as exc:
        return f"✖ {exc}"
    if partner_id is not None:
        item = data.explanation.partner(partner_id)
        assert item is not None
        lines = render_partner(data, item)
    else:
        lines = render_summary(data, CONSOLE_LIMIT)
    return escape_console("\n".join(lines))
