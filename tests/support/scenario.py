"""Sample data plus a few claimed, won, lost, recalled and handed-back leads.

The sample partners, reps and leads from ``examples/`` are imported with the real
``leadbot`` commands; then reps of the offered partners claim leads and report progress,
staff recall one lead and a partner hands one back — through the same services the chats
call. Used by the report, cockpit and browser tests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from bot.actors import Actor
from bot.clock import Clock
from bot.config import Settings
from bot.leads.claims import ClaimOutcome, claim
from bot.leads.progress import report_progress
from bot.leads.staff import staff_recall
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, Lead, LeadStatus, Offer, OfferStatus, Platform, Rep
from bot.runtime import Runtime
from tests.support.cli import EXAMPLES, leadbot

LONG_CAMPAIGN = "Partner-Roadshow Industrie 4.0 Süddeutschland Herbst 2026"


@dataclass
class Played:
    claimed: list[int] = field(default_factory=list)
    won: int = 0
    lost: int = 0
    recalled: int = 0
    recalled_partner: str = ""
    handed_back: int = 0


def load_examples(database_url: str, **env: str) -> None:
    for args in (
        ("partners", "import", str(EXAMPLES / "partners.csv")),
        ("reps", "import", str(EXAMPLES / "reps.csv")),
        ("leads", "import", str(EXAMPLES / "leads.json")),
    ):
        result = leadbot(database_url, *args, **env)
        assert result.exit_code == 0, result.output


async def _claim_offered(runtime: Runtime, count: int) -> list[tuple[int, Rep]]:
    """Claim up to ``count`` offered leads, each by a rep of its first open offer's partner."""
    claimed: list[tuple[int, Rep]] = []
    async with runtime.uow() as uow:
        offers = (
            await uow.session.scalars(
                select(Offer)
                .where(Offer.status == OfferStatus.OPEN)
                .order_by(Offer.lead_id, Offer.rank)
            )
        ).all()
        reps = (await uow.session.scalars(select(Rep).order_by(Rep.id))).all()
    seen: set[int] = set()
    for offer in offers:
        if offer.lead_id in seen or len(claimed) >= count:
            continue
        rep = next((r for r in reps if r.partner_id == offer.partner_id and r.active), None)
        if rep is None:
            continue
        async with runtime.uow() as uow:
            result = await claim(uow, offer.id, rep.id, Platform.CONSOLE)
        if result.outcome is ClaimOutcome.WON:
            seen.add(offer.lead_id)
            claimed.append((offer.lead_id, rep))
    return claimed


async def play(runtime: Runtime, clock: Clock | None = None) -> Played:
    """Claims, a win, a loss, a recall and a hand-back on the imported sample leads."""
    played = Played()
    claimed = await _claim_offered(runtime, 5)
    assert len(claimed) >= 5, f"only {len(claimed)} sample leads could be claimed"
    played.claimed = [lead_id for lead_id, _rep in claimed]
    advance = getattr(clock, "advance", None)
    if advance is not None:
        advance(hours=3)

    def actor(rep: Rep) -> Actor:
        return Actor.rep(Channel.CONSOLE, rep.id, rep.partner_id, rep.name)

    (won_id, won_rep), (lost_id, lost_rep), (recall_id, _r), (back_id, back_rep) = claimed[:4]
    async with runtime.uow() as uow:
        await report_progress(uow, won_id, actor(won_rep), Report(StatusAction.CONTACTED))
    async with runtime.uow() as uow:
        await report_progress(
            uow, won_id, actor(won_rep), Report(StatusAction.WON, revenue_eur=Decimal("61000"))
        )
    async with runtime.uow() as uow:
        await report_progress(uow, lost_id, actor(lost_rep), Report(StatusAction.CONTACTED))
    async with runtime.uow() as uow:
        await report_progress(
            uow, lost_id, actor(lost_rep), Report(StatusAction.LOST, reason="competitor")
        )
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, recall_id)
        assert lead is not None and lead.owner_partner_id
        played.recalled_partner = lead.owner_partner_id
        await staff_recall(uow, recall_id, Actor.staff(Channel.CLI, name="cli"))
    async with runtime.uow() as uow:
        await report_progress(
            uow, back_id, actor(back_rep), Report(StatusAction.HAND_BACK, reason="no_capacity")
        )
    played.won, played.lost, played.recalled, played.handed_back = (
        won_id,
        lost_id,
        recall_id,
        back_id,
    )
    async with runtime.uow() as uow:
        status = await uow.session.scalar(select(Lead.status).where(Lead.id == won_id))
    assert status is LeadStatus.WON
    return played


def play_sync(settings: Settings, clock: Clock | None = None) -> Played:
    """:func:`play` for synchronous tests (the CLI ones)."""

    async def run() -> Played:
        runtime = Runtime.create(settings, clock=clock)
        try:
            return await play(runtime, clock)
        finally:
            await runtime.close()

    return asyncio.run(run())
