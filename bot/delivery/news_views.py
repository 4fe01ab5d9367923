"""The NEWS notice at send time, and forgetting a lead's news when it is erased.

A headline about a lead's company identifies the prospect: it lives only in
``news_matches`` (the outbox row carries the match id), is shown only to the rep who owns
the open lead at the moment of sending, and is deleted by ``erase``.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.notices import MessageView, NoticeKind
from bot.leads.lifecycle import OWNED
from bot.models import Lead, LeadPersonalData, NewsMatch, OutboxMessage, OutboxStatus, Rep
from bot.uow import UnitOfWork


async def forget_lead_news(uow: UnitOfWork, lead_id: int) -> None:
    """Erase: delete the lead's news matches and clear the payloads of its NEWS notices."""
    await uow.session.execute(delete(NewsMatch).where(NewsMatch.lead_id == lead_id))
    news_rows = (OutboxMessage.lead_id == lead_id, OutboxMessage.kind == NoticeKind.NEWS.value)
    await uow.session.execute(
        update(OutboxMessage)
        .where(*news_rows, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SKIPPED, last_error="lead erased")
        .execution_options(synchronize_session=False)
    )
    await uow.session.execute(
        update(OutboxMessage)
        .where(*news_rows)
        .values(payload={"event": "erased"})
        .execution_options(synchronize_session=False)
    )


async def resolve_news(
    session: AsyncSession, row: OutboxMessage, language: str, rep: Rep | None
) -> MessageView | None:
    """The NEWS view at send time; None unless the rep still owns the (unerased) lead."""
    match_id = row.payload.get("match_id")
    if match_id is None or rep is None:
        return None
    match = await session.get(NewsMatch, int(match_id))
    if match is None:
        return None
    lead = await session.get(Lead, match.lead_id)
    if lead is None or lead.owner_rep_id != rep.id or lead.status not in OWNED:
        return None
    personal = await session.get(LeadPersonalData, lead.id)
    if personal is None:
        return None
    return MessageView(
        kind=NoticeKind.NEWS,
        event="item",
        language=language,
        lead_id=lead.id,
        params={
            "lead_id": lead.id,
            "company": personal.company_name,
            "title": match.title,
            "summary": match.summary,
            "link": match.link,
            "source": match.source,
            "published": match.published_at.isoformat() if match.published_at else None,
            "matched_by": match.matched_by,
        },
    )
