"""One feed's fetch and its remembered state (ETag, failures, back-off).

Kept apart from :mod:`bot.news.service` so the pass there reads as what it does — fetch
the due feeds, record their state, match, queue — while the per-feed rules live here: a
failing feed is logged with a redacted URL and retried after an exponential backoff, a
parser's surprise stays that feed's problem.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import NewsSettings
from bot.models import NewsFeed
from bot.news import feeds

log = logging.getLogger(__name__)


@dataclass
class FeedResult:
    url: str
    source: str = ""
    items: list[feeds.FeedItem] = field(default_factory=list)
    fetched: feeds.Fetched | None = None
    error: str | None = None


def backoff_minutes(failures: int, settings: NewsSettings) -> float:
    """poll interval, 2×, 4×, ... up to ``max_backoff_minutes``."""
    return min(settings.max_backoff_minutes, settings.poll_minutes * 2 ** max(0, failures - 1))


async def fetch_one(
    http: httpx.AsyncClient, url: str, state: NewsFeed | None, settings: NewsSettings
) -> FeedResult:
    result = FeedResult(url)
    try:
        fetched = await feeds.fetch(
            http,
            url,
            settings,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
        )
        result.fetched = fetched
        if fetched.body is not None:
            result.source, result.items = await asyncio.to_thread(feeds.parse, fetched.body, url)
    except feeds.FeedError as exc:
        result.error = str(exc)
    except Exception as exc:  # a bug or something unforeseen in a parser: still just this feed
        result.error = f"unexpected {type(exc).__name__}"
        # the traceback only at debug level: exception messages may quote the full URL
        log.debug("news feed %s: unexpected failure", feeds.redact(url), exc_info=True)
    return result


def update_state(
    session: AsyncSession,
    states: dict[str, NewsFeed],
    result: FeedResult,
    settings: NewsSettings,
    now: datetime,
) -> None:
    key = feeds.url_hash(result.url)
    state = states.get(key)
    if state is None:
        state = NewsFeed(url_hash=key, display_url=feeds.redact(result.url), failures=0)
        session.add(state)
        states[key] = state
    if result.error is not None:
        state.failures = (state.failures or 0) + 1
        state.last_error = result.error[:500]
        wait = backoff_minutes(state.failures, settings)
        state.next_poll_at = now + timedelta(minutes=wait)
        log.warning(
            "news feed %s failed (%s); attempt %d, next try in %g min",
            state.display_url,
            result.error,
            state.failures,
            wait,
        )
        return
    state.failures, state.last_error, state.next_poll_at, state.last_ok_at = 0, None, None, now
    if result.fetched is not None and result.fetched.body is not None:
        state.etag = (result.fetched.etag or "")[:300] or None
        state.last_modified = (result.fetched.last_modified or "")[:100] or None
