"""Prospect news end to end: real HTTP feeds on loopback, both databases, the real sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.config import ConfigError, load_settings
from bot.delivery.notices import NoticeKind
from bot.delivery.sender import OutboxSender
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.leads.progress import report_progress
from bot.leads.staff import erase
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, ContentItem, NewsFeed, NewsMatch, OutboxMessage, Platform
from bot.news.service import poll_news
from bot.runtime import Runtime
from bot.web.parts import start_content_and_news
from tests.conftest import SettingsFactory
from tests.support.content_fixtures import (
    PRODUCTS,
    claimed_lead,
    lead_overrides,
    views,
    write_library,
)
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.feed_server import Entry, FeedServer, atom, rss
from tests.support.recording import RecordingTransport

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the ManualClock's start


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    yield srv
    await srv.stop()


def publish(server: FeedServer) -> None:
    server.feeds["/press.rss"] = (
        "application/rss+xml",
        rss(
            "Wirtschaftsnachrichten",
            [
                Entry(
                    "Zeppelin Systems erhält Großauftrag aus Asien",
                    "https://news.example/zeppelin-auftrag",
                    "Der Anlagenbauer liefert 40 Silos.",
                    NOW - timedelta(hours=3),
                ),
                Entry(
                    "Zeppelin Systems: Rückblick 2019",
                    "https://news.example/zeppelin-2019",
                    published=datetime(2019, 5, 1, tzinfo=UTC),
                ),
                Entry("Müller meldet Rekordumsatz", "https://news.example/mueller", "Müller GmbH"),
                Entry("Thomas Müller trifft doppelt", "https://news.example/fussball"),
                Entry("Orbital Dynamics eröffnet Werk", "https://news.example/orbital"),
            ],
        ),
    )
    server.feeds["/boerse.atom"] = (
        "application/atom+xml",
        atom(
            "Börse",
            [
                Entry(
                    "Präzisionsteile gefragt: Aktie (XETRA: HMP) steigt",
                    "https://boerse.example/hmp",
                    published=NOW - timedelta(hours=1),
                ),
                Entry(
                    "Pressemitteilung: neues Werk",
                    "https://www.mueller-gmbh.de/presse/neues-werk",
                    "Die Müller GmbH baut aus.",
                ),
                Entry(  # the same article as in the RSS feed: one message, not two
                    "Zeppelin Systems erhält Großauftrag aus Asien",
                    "https://news.example/zeppelin-auftrag",
                ),
            ],
        ),
    )


async def _world(runtime: Runtime) -> dict[str, Any]:
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_partner(uow, "P2")
        reps = {
            "anna": (await add_rep(uow, "P1", "anna@p1.de")).id,
            "anton": (await add_rep(uow, "P1", "anton@p1.de")).id,
            "ben": (await add_rep(uow, "P2", "ben@p2.de")).id,
            "carl": (await add_rep(uow, "P2", "carl@p2.de", language="en")).id,
        }
        await uow.commit()
    leads = {
        "zeppelin": await claimed_lead(
            runtime,
            1,
            "P1",
            reps["anna"],
            **{"company.name": "Zeppelin Systems GmbH", "company.domain": "zeppelin-systems.de"},
        ),
        "hmp": await claimed_lead(
            runtime,
            2,
            "P2",
            reps["ben"],
            **{"company.name": "Huber Müller Präzisionstechnik AG", "company.ticker": "HMP"},
        ),
        "mueller": await claimed_lead(
            runtime,
            3,
            "P2",
            reps["carl"],
            **{"company.name": "Müller GmbH", "company.domain": "mueller-gmbh.de"},
        ),
    }
    return {"reps": reps, "leads": leads}


async def _unclaimed(runtime: Runtime) -> None:
    """A lead that is offered but owned by nobody: news about it goes nowhere."""
    async with runtime.uow() as uow:
        data = LeadIn.model_validate(
            lead_payload(**lead_overrides(9, "P1", **{"company.name": "Orbital Dynamics AG"}))
        )
        await receive(uow, data, Actor.system(Channel.API))
        await uow.commit()


def _runtime(make_settings: SettingsFactory, clock: ManualClock, feeds: list[str]) -> Runtime:
    settings = make_settings(
        products=PRODUCTS,
        news={"feeds": feeds, "poll_minutes": 30, "timeout_seconds": 3, "max_bytes": 50_000},
    )
    return Runtime.create(settings, clock=clock)


async def test_news_reaches_only_the_owner_once_across_polls_and_restarts(
    make_settings: SettingsFactory, clock: ManualClock, server: FeedServer
) -> None:
    publish(server)
    feeds = [server.url("/press.rss"), server.url("/boerse.atom")]
    runtime = _runtime(make_settings, clock, feeds)
    try:
        world = await _world(runtime)
        await _unclaimed(runtime)
        summary = await poll_news(runtime)
        assert (summary.feeds_polled, summary.feeds_failed, summary.matches) == (2, 0, 3)
        transport = RecordingTransport()
        sender = OutboxSender(runtime, {Platform.CONSOLE: transport})
        await sender.flush()

        news = views(transport, NoticeKind.NEWS)
        reps, leads = world["reps"], world["leads"]
        got = {address: view for address, view in news}
        assert len(news) == 3 and set(got) == {
            f"rep:{reps['anna']}",
            f"rep:{reps['ben']}",
            f"rep:{reps['carl']}",
        }
        zeppelin = got[f"rep:{reps['anna']}"]
        assert zeppelin.lead_id == leads["zeppelin"] and zeppelin.event == "item"
        assert zeppelin.params["title"] == "Zeppelin Systems erhält Großauftrag aus Asien"
        assert zeppelin.params["company"] == "Zeppelin Systems GmbH"
        assert zeppelin.params["link"] == "https://news.example/zeppelin-auftrag"
        assert zeppelin.params["matched_by"] == "name"
        assert zeppelin.params["source"] == "Wirtschaftsnachrichten"
        assert zeppelin.params["published"] == (NOW - timedelta(hours=3)).isoformat()
        assert got[f"rep:{reps['ben']}"].params["matched_by"] == "ticker"
        mueller = got[f"rep:{reps['carl']}"]
        assert (mueller.params["matched_by"], mueller.language) == ("domain", "en")
        assert mueller.params["title"] == "Pressemitteilung: neues Werk"  # not "Rekordumsatz"
        assert server.user_agents == {runtime.settings.news.user_agent}

        clock.advance(minutes=30)
        assert (await poll_news(runtime)).matches == 0
        assert server.not_modified["/press.rss"] == 1  # conditional GET: nothing re-read
        server.feeds["/press.rss"] = (
            "application/rss+xml",
            server.feeds["/press.rss"][1].replace(b"Asien", b"Asia"),
        )  # the feed changed (same links): still nothing new for anyone
        assert (await poll_news(runtime)).matches == 0
    finally:
        await runtime.close()

    restarted = _runtime(make_settings, clock, feeds)
    try:
        assert (await poll_news(restarted)).matches == 0
        transport2 = RecordingTransport()
        await OutboxSender(restarted, {Platform.CONSOLE: transport2}).flush()
        assert views(transport2, NoticeKind.NEWS) == []
    finally:
        await restarted.close()


async def test_closed_leads_get_no_news(
    make_settings: SettingsFactory, clock: ManualClock, server: FeedServer
) -> None:
    publish(server)
    runtime = _runtime(make_settings, clock, [server.url("/press.rss")])
    try:
        world = await _world(runtime)
        actor = Actor.rep(Channel.CONSOLE, world["reps"]["anna"], "P1", "anna")
        async with runtime.uow() as uow:
            await report_progress(
                uow,
                world["leads"]["zeppelin"],
                actor,
                Report(StatusAction.WON, revenue_eur=Decimal("5000")),
            )
        assert (await poll_news(runtime)).matches == 0
    finally:
        await runtime.close()


async def test_broken_feeds_are_logged_backed_off_and_do_not_stop_the_others(
    make_settings: SettingsFactory,
    clock: ManualClock,
    server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish(server)
    broken = [
        server.url("/status/500?token=s3cr3t"),
        server.url("/garbage"),
        server.url("/slow"),
        server.url("/huge"),
        "http://127.0.0.1:1/refused",
    ]
    runtime = _runtime(make_settings, clock, [*broken, server.url("/press.rss")])
    try:
        await _world(runtime)
        with caplog.at_level(logging.WARNING, logger="bot.news"):
            summary = await poll_news(runtime)
        assert (summary.feeds_polled, summary.feeds_failed, summary.matches) == (6, 5, 1)
        log = caplog.text
        assert "s3cr3t" not in log and "/status/500?…" in log
        for expected in ("HTTP 500", "not an RSS or Atom feed", "within 3 s", "too large"):
            assert expected in log
        assert "ConnectError" in log

        async with runtime.uow() as uow:
            states = {f.display_url: f for f in await uow.session.scalars(select(NewsFeed))}
        failed = states[server.url("/status/500") + "?…"]
        assert failed.failures == 1 and failed.last_error == "HTTP 500"
        assert failed.next_poll_at == NOW + timedelta(minutes=30)
        assert states[server.url("/press.rss")].failures == 0

        hits = server.hits["/status/500"]
        clock.advance(minutes=10)  # backing off: broken feeds wait, good ones are polled
        assert (await poll_news(runtime)).feeds_polled == 1
        assert server.hits["/status/500"] == hits
        clock.advance(minutes=20)
        await poll_news(runtime)
        assert server.hits["/status/500"] == hits + 1
        async with runtime.uow() as uow:
            again = await uow.session.get(NewsFeed, failed.url_hash)
        assert again is not None and again.failures == 2
        assert again.next_poll_at == NOW + timedelta(minutes=30 + 60)
    finally:
        await runtime.close()


async def test_erase_removes_the_news_about_the_lead(
    make_settings: SettingsFactory, clock: ManualClock, server: FeedServer
) -> None:
    publish(server)
    runtime = _runtime(make_settings, clock, [server.url("/press.rss"), server.url("/boerse.atom")])
    try:
        world = await _world(runtime)
        assert (await poll_news(runtime)).matches == 3
        await OutboxSender(runtime, {Platform.CONSOLE: RecordingTransport()}).flush()
        zeppelin = world["leads"]["zeppelin"]
        async with runtime.uow() as uow:
            await erase(uow, zeppelin, Actor.staff(Channel.CLI))
        async with runtime.uow() as uow:
            matches = (await uow.session.scalars(select(NewsMatch.lead_id))).all()
            rows = (
                await uow.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.NEWS.value)
                )
            ).all()
        assert zeppelin not in matches and len(matches) == 2
        erased = [r for r in rows if r.lead_id == zeppelin]
        assert erased and all(r.payload == {"event": "erased"} for r in erased)
        assert all("match_id" in r.payload for r in rows if r.lead_id != zeppelin)
        clock.advance(minutes=30)
        assert (await poll_news(runtime)).matches == 0  # an erased lead is never matched again
    finally:
        await runtime.close()


async def test_news_queued_before_erasure_is_never_sent(
    make_settings: SettingsFactory, clock: ManualClock, server: FeedServer
) -> None:
    publish(server)
    runtime = _runtime(make_settings, clock, [server.url("/press.rss")])
    try:
        world = await _world(runtime)
        assert (await poll_news(runtime)).matches == 1
        async with runtime.uow() as uow:
            await erase(uow, world["leads"]["zeppelin"], Actor.staff(Channel.CLI))
        transport = RecordingTransport()
        await OutboxSender(runtime, {Platform.CONSOLE: transport}).flush()
        assert views(transport, NoticeKind.NEWS) == []
        assert "Zeppelin" not in repr(transport.deliveries)
    finally:
        await runtime.close()


async def test_startup_syncs_the_library_and_the_news_loop_polls(
    make_settings: SettingsFactory, clock: ManualClock, server: FeedServer, tmp_path: Path
) -> None:
    publish(server)
    settings = make_settings(
        products=PRODUCTS,
        content={"library": str(write_library(tmp_path / "library"))},
        news={"feeds": [server.url("/press.rss")]},
    )
    runtime = Runtime.create(settings, clock=clock)
    try:
        await _world(runtime)
        tasks = await start_content_and_news(runtime)
        try:
            async with runtime.uow() as uow:  # the library is synced before this returns
                items = await uow.session.scalar(select(func.count()).select_from(ContentItem))
            assert items == 7
            for _ in range(400):  # the news loop polls right away
                async with runtime.uow() as uow:
                    found = await uow.session.scalar(select(func.count()).select_from(NewsMatch))
                if found:
                    break
                await asyncio.sleep(0.025)
            assert found == 1
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await runtime.close()


def test_feed_urls_must_be_web_addresses() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(
            "/nonexistent-leadbot.toml",
            {"LEADBOT_NEWS__FEEDS": '["https://ok.example/rss", "file:///etc/passwd"]'},
            must_exist=False,
        )
    assert "news.feeds[1] (from LEADBOT_NEWS__FEEDS): not an http(s) URL" in str(err.value)
