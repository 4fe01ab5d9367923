"""Prospect news: poll the configured feeds, match items to open leads, tell each lead's owner.

One pass (:func:`poll_news`) fetches every due feed concurrently — outside any database
transaction — and then, in one unit of work, records the feeds' state, matches the items
against the open, owned leads and queues each new match once for the lead's owner. A match
is a row keyed on (item, lead), so a second pass or a restart sends nothing twice.

A failing feed (HTTP error, timeout, garbage) is logged with a redacted URL and retried
after an exponential backoff; it never stops the other feeds or the bot.

Privacy: the headline of an article about a lead's company identifies the prospect, so it
is kept only in ``news_matches`` (the outbox row holds the match id) and
``bot.delivery.news_views.forget_lead_news`` removes it when the lead is erased.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coordination import run_while_leased
from bot.delivery.notices import NoticeKind, ToRep
from bot.leads.lifecycle import OWNED
from bot.models import (
    Lead,
    LeadPersonalData,
    NewsFeed,
    NewsMatch,
    Platform,
)
from bot.news import feeds
from bot.news.feedstate import FeedResult, fetch_one, update_state
from bot.news.match import Article, CompanyIndex, CompanyMatcher
from bot.platform import claim_platform
from bot.runtime import Runtime
from bot.uow import UnitOfWork

log = logging.getLogger(__name__)

LEASE_NAME = "news"


@dataclass(frozen=True)
class PollSummary:
    feeds_polled: int = 0
    feeds_failed: int = 0
    items: int = 0
    matches: int = 0


@dataclass(frozen=True)
class _Owned:
    lead_id: int
    rep_id: int
    platform: Platform | None
    matcher: CompanyMatcher


async def _owned_leads(session: AsyncSession) -> list[_Owned]:
    rows = await session.execute(
        select(
            Lead.id,
            Lead.owner_rep_id,
            Lead.claimed_via,
            LeadPersonalData.company_name,
            LeadPersonalData.domain,
            LeadPersonalData.ticker,
        )
        .join(LeadPersonalData, LeadPersonalData.lead_id == Lead.id)
        .where(Lead.status.in_(OWNED), Lead.owner_rep_id.is_not(None))
    )
    out = []
    for lead_id, rep_id, via, name, domain, ticker in rows:
        matcher = CompanyMatcher(name, domain, ticker)
        if matcher.usable:
            out.append(_Owned(lead_id, rep_id, claim_platform(via), matcher))
    return out


Candidate = tuple[feeds.FeedItem, str, str, _Owned]  # item, matched by, source, lead


def find_matches(
    results: list[FeedResult], leads: list[_Owned], oldest: datetime
) -> dict[tuple[str, int], Candidate]:
    """Every (item, lead) pair where the item is about the lead's company. Pure, CPU only."""
    by_id = {lead.lead_id: lead for lead in leads}
    index = CompanyIndex((lead.lead_id, lead.matcher) for lead in leads)
    found: dict[tuple[str, int], Candidate] = {}
    for result in results:
        for item in result.items:
            if item.published is not None and item.published < oldest:
                continue
            article = Article.of(item.title, item.summary, item.link)
            for lead_id, how in index.find(article).items():
                found.setdefault((item.uid, lead_id), (item, how, result.source, by_id[lead_id]))
    return found


async def _queue(uow: UnitOfWork, candidates: dict[tuple[str, int], Candidate]) -> int:
    """Store and queue the new matches whose lead is still owned by the same rep."""
    if not candidates:
        return 0
    lead_ids = sorted({lead_id for _, lead_id in candidates})
    still = {
        lead_id: rep_id
        for lead_id, rep_id in await uow.session.execute(
            select(Lead.id, Lead.owner_rep_id).where(Lead.id.in_(lead_ids), Lead.status.in_(OWNED))
        )
    }
    uids = sorted({uid for uid, _ in candidates})
    known = set(
        (
            await uow.session.execute(
                select(NewsMatch.item_hash, NewsMatch.lead_id).where(NewsMatch.item_hash.in_(uids))
            )
        ).all()
    )
    queued = 0
    for (uid, lead_id), (item, how, source, lead) in candidates.items():
        if (uid, lead_id) in known or still.get(lead_id) != lead.rep_id:
            continue
        match = NewsMatch(
            item_hash=uid,
            lead_id=lead_id,
            rep_id=lead.rep_id,
            matched_by=how,
            title=item.title,
            link=item.link,
            summary=item.summary or None,
            source=source[:300] or None,
            published_at=item.published,
            created_at=uow.clock.now(),
        )
        uow.session.add(match)
        await uow.session.flush()
        await uow.outbox.enqueue(
            ToRep(lead.rep_id, lead.platform),
            NoticeKind.NEWS,
            {"event": "item", "match_id": match.id},
            lead_id=lead_id,
        )
        queued += 1
    return queued


async def poll_news(runtime: Runtime) -> PollSummary:
    """One pass over the due feeds; returns what happened. Never raises for a feed's fault.

    Network I/O and matching run outside any transaction; only the short final write (feed
    state, new matches, notices) holds one, so a pass never blocks claims for long.
    """
    settings = runtime.settings.news
    if not settings.feeds:
        return PollSummary()
    now = runtime.clock.now()
    urls = list(dict.fromkeys(settings.feeds))
    hashes = [feeds.url_hash(u) for u in urls]
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(select(NewsFeed).where(NewsFeed.url_hash.in_(hashes)))
        known = {row.url_hash: row for row in rows}
    due = [
        u
        for u in urls
        if (s := known.get(feeds.url_hash(u))) is None
        or s.next_poll_at is None
        or s.next_poll_at <= now
    ]
    if not due:
        return PollSummary()
    async with feeds.client(settings) as http:
        results = await asyncio.gather(
            *(fetch_one(http, u, known.get(feeds.url_hash(u)), settings) for u in due)
        )
    async with runtime.uow() as uow:
        leads = await _owned_leads(uow.session)
    oldest = now - timedelta(days=settings.max_age_days)
    candidates = await asyncio.to_thread(find_matches, results, leads, oldest) if leads else {}
    for attempt in (1, 2):
        try:
            async with runtime.uow() as uow:
                states = {
                    row.url_hash: row
                    for row in await uow.session.scalars(
                        select(NewsFeed).where(
                            NewsFeed.url_hash.in_([feeds.url_hash(u) for u in due])
                        )
                    )
                }
                for result in results:
                    update_state(uow.session, states, result, settings, now)
                matches = await _queue(uow, candidates)
                await uow.commit()
            break
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("news pass raced with another process; retrying")  # it has committed now
    return PollSummary(
        feeds_polled=len(due),
        feeds_failed=sum(1 for r in results if r.error is not None),
        items=sum(len(r.items) for r in results),
        matches=matches,
    )


async def news_loop(runtime: Runtime) -> None:
    """Poll every ``[news] poll_minutes``; only one process (the lease holder) polls.

    The lease is a database row whether Redis is configured or not (docs/architecture.md).
    """
    settings = runtime.settings.news
    if not settings.feeds:
        return
    interval = settings.poll_minutes * 60

    async def one_pass() -> None:
        summary = await poll_news(runtime)
        if summary.matches:
            log.info("news: %d new match(es) queued", summary.matches)

    await run_while_leased(
        runtime.coordination, LEASE_NAME, interval * 2, interval, one_pass, logger=log
    )
