"""``explain <lead>`` in the console: why each partner was or was not offered a lead."""

from __future__ import annotations

from bot.content.render import escape_console
from bot.runtime import Runtime
from bot.services.distribution import decide
from bot.services.staff import get_lead


async def explain_text(runtime: Runtime, lead_id: int, partner_id: str | None = None) -> str:
    async with runtime.uow() as uow:
        try:
            lead = await get_lead(uow, lead_id)
        except Exception as exc:  # NotFound
            return f"✖ {exc}"
        decisions = await decide(uow, lead)
    if partner_id:
        decisions = [d for d in decisions if d.partner_id == partner_id]
        if not decisions:
            return f"✖ no partner {escape_console(partner_id)!r}"
    lines = [f"Lead #{lead_id}: {sum(d.eligible for d in decisions)} eligible partner(s)"]
    for d in decisions:
        if d.eligible:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in d.components.items())
            lines.append(f"  ✔ {d.partner_id:<10} score {d.score:.2f} ({parts})")
        else:
            failed = "; ".join(f"{c.name}: {c.detail}" for c in d.failed)
            lines.append(f"  ✖ {d.partner_id:<10} {escape_console(failed)}")
    return "\n".join(lines)
