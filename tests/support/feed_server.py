"""A real HTTP server on 127.0.0.1 (port 0) serving RSS/Atom feeds and feed faults for tests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web


@dataclass
class Entry:
    title: str
    link: str
    summary: str = ""
    published: datetime | None = None


def rss(title: str, entries: list[Entry]) -> bytes:
    items = "".join(
        "<item>"
        f"<title>{escape(e.title)}</title><link>{escape(e.link)}</link><guid>{escape(e.link)}</guid>"
        f"<description>{escape(e.summary)}</description>"
        + (f"<pubDate>{format_datetime(e.published)}</pubDate>" if e.published else "")
        + "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>test</description>{items}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[Entry]) -> bytes:
    items = "".join(
        "<entry>"
        f'<title>{escape(e.title)}</title><link href="{escape(e.link)}"/>'
        f"<id>{escape(e.link)}</id><summary>{escape(e.summary)}</summary>"
        + (f"<updated>{e.published.isoformat()}</updated>" if e.published else "")
        + "</entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test</id><updated>2026-03-01T00:00:00Z</updated>"
        f"{items}</feed>"
    ).encode()


@dataclass
class FeedServer:
    """Feeds by path; ``/status/500``, ``/garbage``, ``/slow``, ``/huge`` misbehave."""

    feeds: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, body)
    hits: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    user_agents: set[str] = field(default_factory=set)
    base: str = ""
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        self.user_agents.add(request.headers.get("User-Agent", ""))
        if path == "/status/500":
            return web.Response(status=500, text="internal error")
        if path == "/garbage":
            return web.Response(body=b"\x00\xff{{{ this is not a feed", content_type="text/xml")
        if path == "/slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), timeout=10)
            return web.Response(text="too late", content_type="text/xml")
        if path == "/huge":
            return web.Response(body=b"<rss>" + b" " * 200_000 + b"</rss>", content_type="text/xml")
        if path not in self.feeds:
            return web.Response(status=404)
        content_type, body = self.feeds[path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified[path] += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type=content_type, headers={"ETag": etag})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._feed)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
