"""Content packs after the claim and updates on reload, on both databases, as a rep sees them.

Deliveries go through the real outbox sender into a recording transport; the tests assert on
the platform-neutral ``MessageView``s a renderer would get.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.actors import Actor
from bot.cli import main
from bot.clock import ManualClock
from bot.config import load_settings
from bot.content.library import DEFAULT_LIBRARY
from bot.content.service import sync_library
from bot.delivery.notices import LeadCardView, NoticeKind
from bot.delivery.sender import OutboxSender
from bot.leads.claims import ClaimOutcome, claim
from bot.leads.progress import report_progress
from bot.leads.status_reports import Report, StatusAction
from bot.models import Channel, ContentItem, Offer, Platform
from bot.runtime import Runtime
from bot.uow import UnitOfWork
from tests.conftest import SettingsFactory
from tests.support.content_fixtures import (
    PRODUCTS,
    X_SERIES,
    claimed_lead,
    views,
    write_library,
)
from tests.support.factories import add_partner, add_rep
from tests.support.recording import RecordingTransport


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_library(tmp_path / "library")


@pytest.fixture
async def rt(
    make_settings: SettingsFactory, clock: ManualClock, library: Path
) -> AsyncIterator[Runtime]:
    settings = make_settings(products=PRODUCTS, content={"library": str(library)})
    runtime = Runtime.create(settings, clock=clock)
    yield runtime
    await runtime.close()


async def _directory(runtime: Runtime) -> dict[str, int]:
    """P1 and P2 sell the X-series, P2 also Cloud; anna+anton at P1, ben+carl (English) at P2."""
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_partner(
            uow,
            "P2",
            products=["X200", "C10"],
            certifications={"X-series": "advanced", "Cloud": "basic"},
        )
        reps = {
            "anna": await add_rep(uow, "P1", "anna@p1.de"),
            "anton": await add_rep(uow, "P1", "anton@p1.de"),
            "ben": await add_rep(uow, "P2", "ben@p2.de"),
            "carl": await add_rep(uow, "P2", "carl@p2.de", language="en"),
        }
        await uow.commit()
    return {name: rep.id for name, rep in reps.items()}


def _sender(runtime: Runtime) -> tuple[OutboxSender, RecordingTransport]:
    transport = RecordingTransport()
    return OutboxSender(runtime, {Platform.CONSOLE: transport}), transport


async def test_claim_sends_the_fitting_pack_to_the_winner_only(rt: Runtime) -> None:
    reps = await _directory(rt)
    assert (await sync_library(rt)).ok
    sender, transport = _sender(rt)
    lead_id = await claimed_lead(rt, 1, "P1", reps["anna"], **{"company.industry": "food"})
    async with rt.uow() as uow:  # a colleague presses Claim too late
        offer_id = await _offer_of(uow, lead_id)
        late = await claim(uow, offer_id, reps["anton"], Platform.CONSOLE)
    assert late.outcome is ClaimOutcome.COLLEAGUE and late.colleague == "anna"  # not a stranger
    await sender.flush()

    content = views(transport, NoticeKind.CONTENT)
    assert [address for address, _ in content] == [f"rep:{reps['anna']}"]
    view = content[0][1]
    assert (view.event, view.lead_id, view.language) == ("pack", lead_id, "de")
    assert view.params["lead_ids"] == [lead_id]
    assert view.params["products"] == ["X200"]
    items = view.params["items"]
    # food-specific argument first; no expired, no not-yet-valid offer, nothing from Cloud
    assert [(i["kind"], i["key"]) for i in items] == [
        ("argument", "x-haccp"),
        ("argument", "x-latency"),
        ("offer", "x200-spring"),
        ("service", "x-commissioning"),
    ]
    spring = items[2]
    assert spring["title"] == "Frühjahrspaket: 3 zum Preis von 2,5"
    assert (spring["valid_from"], spring["valid_until"]) == ("2026-02-01", "2026-03-31")
    assert spring["language"] == "de" and spring["change"] is None
    assert set(spring) == {
        "kind", "key", "version", "line", "title", "body", "url",
        "valid_from", "valid_until", "language", "change",
    }  # fmt: skip
    to_anna = [d.view for d in transport.to(f"rep:{reps['anna']}")]
    assert isinstance(to_anna[0], LeadCardView), "the lead card comes first, then the pack"


async def test_english_rep_gets_english_text_with_german_fallback(rt: Runtime) -> None:
    reps = await _directory(rt)
    await sync_library(rt)
    sender, transport = _sender(rt)
    await claimed_lead(rt, 2, "P2", reps["carl"], **{"company.industry": "retail"})
    await sender.flush()
    [(_, view)] = views(transport, NoticeKind.CONTENT)
    by_key = {i["key"]: i for i in view.params["items"]}
    assert view.language == "en"
    assert by_key["x-latency"]["title"] == "Decisions in milliseconds"
    assert (by_key["x-commissioning"]["language"], by_key["x-commissioning"]["title"]) == (
        "de",
        "Inbetriebnahme vor Ort",
    )
    assert "x-haccp" not in by_key  # food-only content, and this lead is in retail


async def _offer_of(uow: UnitOfWork, lead_id: int) -> int:
    offer_id = await uow.session.scalar(select(Offer.id).where(Offer.lead_id == lead_id))
    assert offer_id is not None
    return offer_id


async def test_no_library_synced_yet_means_no_pack_and_the_claim_still_works(rt: Runtime) -> None:
    reps = await _directory(rt)
    sender, transport = _sender(rt)
    await claimed_lead(rt, 3, "P1", reps["anna"])
    await sender.flush()
    assert views(transport, NoticeKind.CONTENT) == []
    assert any(isinstance(d.view, LeadCardView) for d in transport.deliveries)


async def test_edited_offer_goes_once_to_owners_of_open_leads_of_that_line(
    rt: Runtime, library: Path, clock: ManualClock
) -> None:
    reps = await _directory(rt)
    await sync_library(rt)
    open_x = await claimed_lead(rt, 10, "P1", reps["anna"])
    closed_x = await claimed_lead(rt, 11, "P2", reps["ben"])
    await claimed_lead(rt, 12, "P2", reps["carl"], **{"interest.products": ["C10"]})
    async with rt.uow() as uow:
        actor = Actor.rep(Channel.CONSOLE, reps["ben"], "P2", "ben")
        await report_progress(
            uow, closed_x, actor, Report(StatusAction.WON, revenue_eur=Decimal("1000"))
        )
    sender, transport = _sender(rt)
    await sender.flush()
    transport.deliveries.clear()

    edited = X_SERIES.replace("Bei Bestellung bis 31. März.", "Jetzt bis 30. April verlängert.")
    edited = edited.replace("valid_until = 2026-03-31", "valid_until = 2026-04-30")
    (library / "x-series.toml").write_text(edited, encoding="utf-8")
    summary = await sync_library(rt)
    assert (summary.changed, summary.new, summary.removed, summary.messages) == (1, 0, 0, 1)
    await sender.flush()

    [(address, view)] = views(transport, NoticeKind.CONTENT)
    assert address == f"rep:{reps['anna']}"
    assert (view.event, view.params["lead_ids"]) == ("update", [open_x])
    [item] = view.params["items"]
    assert (item["key"], item["change"]) == ("x200-spring", "changed")
    assert (item["body"], item["valid_until"]) == ("Jetzt bis 30. April verlängert.", "2026-04-30")

    # never twice for the same version: reload again, restart, reload again
    assert (await sync_library(rt)).messages == 0
    restarted = Runtime.create(rt.settings, clock=clock)
    try:
        assert (await sync_library(restarted)).messages == 0
    finally:
        await restarted.close()
    await sender.flush()
    assert len(views(transport, NoticeKind.CONTENT)) == 1


async def test_new_items_are_pushed_removed_and_expired_ones_never(
    rt: Runtime, library: Path
) -> None:
    reps = await _directory(rt)
    await sync_library(rt)
    lead_id = await claimed_lead(rt, 20, "P1", reps["anna"])
    sender, transport = _sender(rt)
    await sender.flush()
    transport.deliveries.clear()

    text = X_SERIES.replace('key = "x-latency"', 'key = "x-latency-2"')  # removed + new
    text += (
        '\n[[offers]]\nkey = "x-gone"\nvalid_until = 2026-03-01\n'
        '[offers.de]\ntitle = "Gestern abgelaufen"\nbody = "Nie senden."\n'
        '\n[[services]]\nkey = "x-training"\n[services.en]\ntitle = "Training"\n'
        'body = "Two days."\n'
    )
    (library / "x-series.toml").write_text(text, encoding="utf-8")
    summary = await sync_library(rt)
    assert (summary.new, summary.removed) == (3, 1)
    await sender.flush()
    [(_, view)] = views(transport, NoticeKind.CONTENT)
    assert [(i["key"], i["change"]) for i in view.params["items"]] == [
        ("x-latency-2", "new"),
        ("x-training", "new"),
    ]
    assert view.params["lead_ids"] == [lead_id]
    async with rt.uow() as uow:
        removed = await uow.session.get(ContentItem, "x-latency")
    assert removed is not None and removed.removed_at is not None


async def test_an_offer_goes_out_when_its_start_date_comes(rt: Runtime, clock: ManualClock) -> None:
    reps = await _directory(rt)
    await sync_library(rt)
    await claimed_lead(rt, 30, "P1", reps["anna"])
    sender, transport = _sender(rt)
    await sender.flush()
    assert "x-fair" not in _keys(transport)
    clock.set(datetime(2026, 4, 20, 6, 0, tzinfo=UTC))  # 08:00 in Berlin: the fair offer starts
    summary = await sync_library(rt)
    assert summary.messages == 1
    await sender.flush()
    updates = [v for _, v in views(transport, NoticeKind.CONTENT) if v.event == "update"]
    assert [i["key"] for v in updates for i in v.params["items"]] == ["x-fair"]


async def test_offer_that_expires_while_queued_is_not_sent(rt: Runtime, clock: ManualClock) -> None:
    reps = await _directory(rt)
    await sync_library(rt)
    await claimed_lead(rt, 40, "P1", reps["anna"])
    clock.set(datetime(2026, 4, 1, 8, 0, tzinfo=UTC))  # the platform was down until April
    sender, transport = _sender(rt)
    await sender.flush()
    keys = _keys(transport)
    assert "x200-spring" not in keys and "x-latency" in keys


async def test_problems_skip_only_their_items_and_keep_their_last_good_version(
    rt: Runtime, library: Path
) -> None:
    reps = await _directory(rt)
    assert (await sync_library(rt)).ok
    (library / "cloud.toml").write_text('line = "Cloud"\n[[arguments]]\nkey = "c"\n')
    (library / "x-series.toml").write_text(
        X_SERIES.replace("2026-03-31", '"31.03.2026"').replace(
            "Ein Techniker des Herstellers", "Eine Technikerin des Herstellers"
        )
    )
    summary = await sync_library(rt)
    assert summary.ok and len(summary.problems) == 2
    assert 'cloud.toml:2: arguments[1] (key "c"): missing text' in str(summary)
    assert 'x-series.toml:16: offers[1] (key "x200-spring").valid_until: not a date' in (
        str(summary)
    )
    assert "These items were skipped" in str(summary)
    # The good edit went out; the hosted-in-Germany argument left the file, so it is removed;
    # the broken offer is not taken as deleted.
    assert (summary.changed, summary.removed) == (1, 1)
    async with rt.uow() as uow:
        rows = {r.key: r for r in await uow.session.scalars(select(ContentItem))}
    assert rows["x200-spring"].removed_at is None and rows["c10-hosted-de"].removed_at
    assert "c" not in rows

    sender, transport = _sender(rt)  # claims bring the published items and the offer's last
    await claimed_lead(rt, 50, "P1", reps["anna"])  # good version
    await sender.flush()
    assert "x200-spring" in _keys(transport)
    staff = [v for _, v in views(transport, NoticeKind.STAFF) if v.event == "content.problems"]
    assert [v.params["count"] for v in staff] == [2]  # told once, with both problems
    assert (await sync_library(rt)).problems  # the same problems again: not told again
    await sender.flush()
    again = [v for _, v in views(transport, NoticeKind.STAFF) if v.event == "content.problems"]
    assert len(again) == 1


def test_cli_check_and_reload_report_problems_and_summaries(
    library: Path, database_url: str
) -> None:
    runner = CliRunner()
    env = {
        "LEADBOT_DATABASE__URL": database_url,
        "LEADBOT_CONTENT__LIBRARY": str(library),
        "LEADBOT_TEST_BACKENDS": None,  # the test switch is not a setting; the CLI rejects it
    }
    config = library.parent / "bot.toml"
    config.write_text(
        "".join(
            f'[[products]]\nid = "{p["id"]}"\nline = "{p["line"]}"\n'
            f'min_certification = "{p["min_certification"]}"\n'
            for p in PRODUCTS
        )
    )
    ok = runner.invoke(main, ["content", "check", "--config", str(config)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "OK — 3 files, 3 arguments, 3 offers, 1 service." in ok.output
    loaded = runner.invoke(main, ["content", "reload", "--config", str(config)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "7 items in 3 files (7 new, 0 changed, 0 removed)" in loaded.output

    (library / "x-series.toml").write_text(X_SERIES.replace('line = "X-series"', 'line = "X"'))
    broken = runner.invoke(main, ["content", "reload", "--config", str(config)], env=env)
    assert broken.exit_code == 1
    assert 'x-series.toml:1: line: unknown product line "X"' in broken.output
    # the other files are published; the x-series items stay as they were (not removed)
    assert "2 items in 3 files (0 new, 0 changed, 0 removed)" in broken.output
    checked = runner.invoke(main, ["content", "check", "--config", str(config)], env=env)
    assert checked.exit_code == 1 and "x-series.toml:1: line" in checked.output


def _keys(transport: RecordingTransport) -> set[str]:
    return {
        item["key"]
        for _, view in views(transport, NoticeKind.CONTENT)
        for item in view.params["items"]
    }


async def test_shipped_sample_library_pack_and_an_edited_copy(
    make_settings: SettingsFactory, clock: ManualClock, tmp_path: Path
) -> None:
    """The sample content for bot.toml's products, as `make run` would send it in November."""
    sample = load_settings(Path(__file__).resolve().parent.parent / "bot.toml", environ={})
    copy = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, copy)
    products = [p.model_dump() for p in sample.products]
    settings = make_settings(products=products, content={"library": str(copy)})
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    runtime = Runtime.create(settings, clock=clock)
    try:
        reps = await _directory(runtime)
        assert (await sync_library(runtime)).ok
        await claimed_lead(runtime, 60, "P1", reps["anna"])  # a brewery asking for the X200
        sender, transport = _sender(runtime)
        await sender.flush()
        [(_, pack)] = views(transport, NoticeKind.CONTENT)
        assert [i["key"] for i in pack.params["items"]] == [
            "x-food-haccp",
            "x200-washdown",
            "x-edge-latency",
            "x-retrofit",
            "x200-winter-bundle",
            "x-commissioning",
            "x-support-247",
        ]  # no X500-only content, no expired summer offer, no 2027 fair offer, no Cloud
        transport.deliveries.clear()

        text = (copy / "x-series.toml").read_text(encoding="utf-8")
        (copy / "x-series.toml").write_text(
            text.replace("Aktionscode: WINTER-X200.", "Aktionscode: WINTER-X200-PLUS."),
            encoding="utf-8",
        )
        summary = await sync_library(runtime)
        assert (summary.changed, summary.messages) == (1, 1)
        await sender.flush()
        [(_, update)] = views(transport, NoticeKind.CONTENT)
        [item] = update.params["items"]
        assert item["key"] == "x200-winter-bundle" and "WINTER-X200-PLUS" in item["body"]
    finally:
        await runtime.close()


async def test_audience_change_is_recorded_but_sends_nothing_twice(
    rt: Runtime, library: Path
) -> None:
    reps = await _directory(rt)
    await sync_library(rt)
    await claimed_lead(rt, 70, "P1", reps["anna"])  # food
    await claimed_lead(rt, 71, "P2", reps["ben"], **{"company.industry": "retail"})
    sender, transport = _sender(rt)
    await sender.flush()
    transport.deliveries.clear()
    food = (library / "x-series-food.toml").read_text(encoding="utf-8")
    (library / "x-series-food.toml").write_text(
        food.replace('industries = ["food"]', 'industries = ["food", "retail"]'), encoding="utf-8"
    )
    summary = await sync_library(rt)
    assert (summary.changed, summary.messages) == (1, 1)
    await sender.flush()
    [(address, view)] = views(transport, NoticeKind.CONTENT)
    assert address == f"rep:{reps['ben']}"
    assert [(i["key"], i["change"]) for i in view.params["items"]] == [("x-haccp", "new")]
    async with rt.uow() as uow:
        stored = await uow.session.get(ContentItem, "x-haccp")
    assert stored is not None and stored.industries == ["food", "retail"]
