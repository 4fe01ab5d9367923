"""One bad content item does not silence the rest — and staff hear about it (issue 16, #14).

The served bot on the console (German staff): a library with an item for a product the
catalogue lacks and a file for a line it lacks. At the first start the valid items are
published and a rep's claim brings them; the staff feed names each problem (file, line,
field) once, in German; a claim for which nothing fits is a staff-feed line; ``leadbot
content check`` and ``reload`` list the problems and exit 1 (reload publishing the rest);
the same problems are not announced twice; fixing them is announced.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.support.chat_world import chat_world
from tests.support.cli import leadbot

X_SERIES = """\
line = "X-series"
industries = ["food"]

[[arguments]]
key = "x-latency"
products = ["X200"]
[arguments.de]
title = "Entscheidungen in Millisekunden"
body = "Der X200 regelt vor Ort in unter 5 ms."

[[arguments]]
key = "x-z9"
products = ["Z9"]
[arguments.de]
title = "Z9 gibt es nicht"
body = "Dieses Produkt fehlt im Katalog."
"""
DRONES = """\
line = "Drones"

[[offers]]
key = "drone-bundle"
valid_until = 2099-12-31
[offers.de]
title = "Drohnenpaket"
body = "Zwei zum Preis von einer."
"""
HEAD = "Content-Bibliothek: 2 Probleme"


async def test_valid_items_go_out_problems_are_reported_once_and_their_fix_too(
    make_settings, clock: ManualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.web.parts")
    library = tmp_path / "library"
    library.mkdir()
    (library / "x-series.toml").write_text(X_SERIES, encoding="utf-8")
    (library / "drones.toml").write_text(DRONES, encoding="utf-8")
    extra = {"content": {"library": str(library), "recheck_minutes": 0}}
    async with chat_world("console", make_settings, clock, partners=1, extra=extra) as world:
        [rep] = world.members

        # The first start published the valid item and told staff what was skipped, in German
        # (and the log, in English).
        assert 'x-series.toml:13: arguments[2] (key "x-z9").products: unknown product' in (
            caplog.text
        )
        feed = await world.staff_sees(HEAD)
        assert "die betroffenen Einträge wurden übersprungen" in feed
        assert (
            'x-series.toml:13: arguments[2] (key "x-z9").products: unbekanntes Produkt "Z9"'
        ) in feed
        assert 'drones.toml:1: line: unbekannte Produktlinie "Drones"' in feed

        # A claim brings the valid items (not the broken one).
        lead_id = await world.post_lead()
        told = await world.claim(rep, await world.teaser(rep, lead_id))
        assert f"Lead #{lead_id} gehört Ihnen!" in told
        kit = await world.direct(rep, lead_id, "Verkaufsunterlagen")
        assert "Entscheidungen in Millisekunden" in kit and "Z9 gibt es nicht" not in kit

        # A claim for which nothing fits: no kit for the rep, a line for staff.
        other = await world.post_lead(**{"company.industry": "retail"})
        await world.claim(rep, await world.teaser(rep, other))
        feed = await world.staff_sees(f"Lead #{other} ging ohne Verkaufsunterlagen")
        without = f"Lead #{other} ging ohne Verkaufsunterlagen an Partner P1: Kein Eintrag"
        assert feed.index(f"Lead #{other} übernommen von Partner P1") < feed.index(without)
        assert f"Verkaufsunterlagen zu Lead #{other}" not in await world.private(rep)

        # The CLI lists every problem and exits 1; reload still publishes the valid items.
        url = world.runtime.settings.database.url
        env = {"LEADBOT_CONTENT__LIBRARY": str(library)}
        checked = await asyncio.to_thread(leadbot, url, "content", "check", **env)
        assert checked.exit_code == 1, checked.output
        assert 'x-series.toml:13: arguments[2] (key "x-z9").products: unknown product "Z9"' in (
            checked.output
        )
        assert 'drones.toml:1: line: unknown product line "Drones"' in checked.output
        assert "Valid: 2 files, 1 argument" in checked.output
        reloaded = await asyncio.to_thread(leadbot, url, "content", "reload", **env)
        assert reloaded.exit_code == 1, reloaded.output
        assert "Content library: 1 item in 2 files" in reloaded.output
        assert "These items were skipped" in reloaded.output
        await world.settled()
        assert (await world.staff_feed()).count(HEAD) == 1  # the same problems: told once

        # Fixed: the next reload says so, in the feed too.
        (library / "x-series.toml").write_text(X_SERIES.split('[[arguments]]\nkey = "x-z9"')[0])
        (library / "drones.toml").unlink()
        fixed = await asyncio.to_thread(leadbot, url, "content", "reload", **env)
        assert fixed.exit_code == 0, fixed.output
        # The CLI queued the notice by the real clock; the bot runs on the test's clock.
        behind = (datetime.now(UTC) - world.clock.now()).total_seconds()
        world.advance(seconds=max(0.0, behind) + 1)
        await world.staff_sees("Content-Bibliothek: Die gemeldeten Probleme sind behoben")


def test_a_file_nested_too_deeply_is_one_problem_of_its_own(
    database_url: str, tmp_path: Path
) -> None:
    """Python's TOML reader recurses once per nested array or inline table: a library file
    nested a few thousand levels deep stopped ``content check`` (and the server's library
    sync) with a RecursionError. It is a problem of that file; the other files still load."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "x-series.toml").write_text(X_SERIES.split("[[arguments]]\nkey")[0])
    (library / "deep.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    checked = leadbot(database_url, "content", "check", LEADBOT_CONTENT__LIBRARY=str(library))
    assert checked.exit_code == 1, checked.output
    assert "deep.toml: not valid TOML: nested too deeply" in checked.output


def test_a_link_must_be_https(database_url: str, tmp_path: Path) -> None:
    """An item's link is shown to reps as given: the check said "starting with https://"
    but let ``http://`` through."""
    library = tmp_path / "library"
    library.mkdir()
    item = X_SERIES.split("[[arguments]]\nkey")[0] + (
        '[[arguments]]\nkey = "x-plain"\nurl = "http://partner.example.com/x200"\n'
        '[arguments.de]\ntitle = "Datenblatt"\nbody = "Alle Werte des X200."\n'
    )
    (library / "x-series.toml").write_text(item)
    checked = leadbot(database_url, "content", "check", LEADBOT_CONTENT__LIBRARY=str(library))
    assert checked.exit_code == 1, checked.output
    assert "url: must be a web address starting with https://" in checked.output


def test_a_library_of_one_file_is_counted_as_one_file(database_url: str, tmp_path: Path) -> None:
    """The example file of docs/content.md, checked alone, said "OK — 1 files, 1 argument"."""
    library = tmp_path / "library"
    library.mkdir()
    valid = X_SERIES.split("[[arguments]]\nkey")[0]
    (library / "x-series.toml").write_text(
        valid + '[[arguments]]\nkey = "x-latency"\n[arguments.de]\ntitle = "T"\nbody = "B"\n'
    )
    checked = leadbot(database_url, "content", "check", LEADBOT_CONTENT__LIBRARY=str(library))
    assert checked.exit_code == 0, checked.output
    assert "OK — 1 file, 1 argument." in checked.output
    (library / "x-series.toml").write_text(valid + "[[arguments]]\nkey = 5\n")
    broken = leadbot(database_url, "content", "check", LEADBOT_CONTENT__LIBRARY=str(library))
    assert broken.exit_code == 1, broken.output
    assert "Valid: 1 file, no items" in broken.output
