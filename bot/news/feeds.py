"""Fetching and parsing RSS/Atom feeds — defensively, because feeds are other people's servers.

Every fetch has an overall deadline, a size limit (checked while streaming, not after) and
an honest User-Agent, and sends the feed's ETag/Last-Modified back so an unchanged feed
costs a 304. Anything that goes wrong becomes a :class:`FeedError` with a message that is
safe to log: feed URLs can carry access tokens, so only :func:`redact`-ed URLs appear.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx

from bot.config import NewsSettings

MAX_TITLE = 300
MAX_SUMMARY = 600
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"


class FeedError(Exception):
    """The feed could not be fetched or is not a feed; the message is safe to log."""


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def redact(url: str) -> str:
    """``https://user:pw@host/path?token=x`` -> ``https://host/path?…`` (for logs and staff)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable feed URL)"
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"[:500]


@dataclass(frozen=True)
class FeedItem:
    uid: str  # SHA-256 of the link (or of feed + id/title when there is no link)
    title: str
    link: str | None
    summary: str
    published: datetime | None


@dataclass(frozen=True)
class Fetched:
    """A fetch result: ``body`` is None when the server said 304 Not Modified."""

    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None


def client(settings: NewsSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_seconds),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT},
    )


async def fetch(
    http: httpx.AsyncClient,
    url: str,
    settings: NewsSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET the feed within ``timeout_seconds`` overall and ``max_bytes``; raise FeedError."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            return await _get(http, url, settings.max_bytes, headers)
    except TimeoutError:
        raise FeedError(f"no complete answer within {settings.timeout_seconds:g} s") from None
    except httpx.HTTPError as exc:  # the type says enough; messages may quote the URL
        raise FeedError(f"{type(exc).__name__}") from None
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise FeedError("invalid feed URL") from None


async def _get(
    http: httpx.AsyncClient, url: str, max_bytes: int, headers: dict[str, str]
) -> Fetched:
    async with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 304:
            return Fetched(None, etag=response.headers.get("etag"))
        if response.status_code >= 400:
            raise FeedError(f"HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FeedError(f"feed too large ({declared} bytes, limit {max_bytes})")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FeedError(f"feed too large (over {max_bytes} bytes)")
        return Fetched(
            bytes(body),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )


def _plain(value: Any, limit: int) -> str:
    """Feed text as plain text: tags dropped, entities decoded, whitespace collapsed."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", str(value or "")))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _published(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _uid(feed_url: str, entry: Any, title: str) -> str:
    link = str(entry.get("link") or "").strip()
    if link:
        basis = "link:" + link.split("#", 1)[0]
    elif entry.get("id"):
        basis = f"id:{feed_url}:{entry.get('id')}"
    else:
        basis = f"title:{feed_url}:{title}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def parse(body: bytes, feed_url: str) -> tuple[str, list[FeedItem]]:
    """The feed's title and its items; FeedError if this is not an RSS or Atom feed.

    ``body`` must be bytes: given a string that looks like a URL, feedparser would fetch it.
    """
    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {type(problem).__name__}" if problem else ""
        raise FeedError(f"not an RSS or Atom feed{detail}")
    source = _plain(parsed.feed.get("title"), 300) or redact(feed_url)
    items = []
    for entry in parsed.entries:
        title = _plain(entry.get("title"), MAX_TITLE)
        summary = _plain(entry.get("summary") or entry.get("description"), MAX_SUMMARY)
        if not title and not summary:
            continue
        link = str(entry.get("link") or "").strip() or None
        if link and not link.startswith(("https://", "http://")):
            link = None  # never pass on javascript: or other schemes
        items.append(
            FeedItem(
                uid=_uid(feed_url, entry, title),
                title=title or summary[:MAX_TITLE],
                link=link,
                summary=summary,
                published=_published(entry),
            )
        )
    return source, items
