"""Two partners and their reps for the partner-operation tests (pause/resume, away/back,
assign): tests/test_partner_operations_pause.py and tests/test_partner_operations_assign.py
from the chats, tests/test_partner_operations_cli.py from the command line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.models import Offer, OfferStatus, Partner
from bot.runtime import Runtime
from tests.support.factories import add_partner, add_rep


def ops_settings_for(make_settings: Any) -> Any:
    """Settings: one wave to every eligible partner at once, product X200, staff in English."""
    return make_settings(
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        products=[{"id": "X200", "line": "X-series"}],
        staff={"language": "en"},
    )


async def directory(runtime: Runtime) -> None:
    """P1 with a sales rep and a manager, P2 with a manager; all of them in English."""
    async with runtime.uow() as uow:
        for pid in ("P1", "P2"):
            await add_partner(uow, pid, languages=["en"])
        await add_rep(uow, "P1", "sales@p1.example", role="sales", language="en")
        await add_rep(uow, "P1", "boss@p1.example", role="manager", language="en")
        await add_rep(uow, "P2", "boss@p2.example", role="manager", language="en")
        await uow.commit()


async def offered_to(runtime: Runtime, lead_id: int) -> dict[str, OfferStatus]:
    """The partners the lead was offered to, with their offer's status."""
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(select(Offer).where(Offer.lead_id == lead_id))
        return {o.partner_id: o.status for o in rows}


async def pause_state(runtime: Runtime, partner_id: str) -> tuple[Any, ...]:
    """The partner's ``paused_at``, ``on_leave_until`` and ``pause_reason``."""
    async with runtime.uow() as uow:
        partner = await uow.session.get(Partner, partner_id)
        assert partner is not None
        return partner.paused_at, partner.on_leave_until, partner.pause_reason
