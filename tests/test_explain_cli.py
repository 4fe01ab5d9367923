"""``leadbot explain`` against a real database (SQLite and PostgreSQL), through click."""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.actors import Actor
from bot.cli import main
from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, LeadExclusion, LeadStatus, Partner
from bot.runtime import Runtime
from tests.support.factories import add_partner, lead_payload
from tests.support.markdown import REPO, fenced_blocks

CONFIG = """
[database]
url = "{url}"

[staff]
language = "{language}"

[[products]]
id = "X200"
line = "X-series"
min_certification = "basic"

[[products]]
id = "X500"
line = "X-series"
min_certification = "advanced"
"""


async def _seed(settings: Settings) -> int:
    """Partners around a München lead asking for X200 and X500; returns the lead id."""
    runtime = Runtime.create(settings, clock=ManualClock(), pooled=False)
    try:
        async with runtime.uow() as uow:
            # Position from its postal code (no lat/lon given), 50 km radius: München.
            await add_partner(uow, "NEAR", postal_code="80333", service_radius_km=50, regions=[])
            await add_partner(uow, "ALL", tier="registered")
            await add_partner(uow, "FAR", postal_code="10115", service_radius_km=100, regions=[])
            await add_partner(uow, "FULL", max_open_leads=0)
            await add_partner(uow, "BASIC", certifications={"X-series": "basic"})
            await add_partner(uow, "AUT", country="AT", regions=[])
            await add_partner(uow, "GONE", tier="platinum")
            await uow.commit()
        async with runtime.uow() as uow:
            payload = lead_payload(**{"interest.products": ["X200", "X500"]})
            result = await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
            assert result.status is LeadStatus.OFFERED
            uow.session.add(
                LeadExclusion(lead_id=result.lead_id, partner_id="GONE", reason="returned")
            )
            await uow.commit()
        return result.lead_id
    finally:
        await runtime.close()


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> tuple[Path, int]:
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(url=database_url, language="en"), encoding="utf-8")
    lead_id = asyncio.run(_seed(load_settings(config, environ={})))
    return config, lead_id


def _explain(config: Path, *args: str) -> Result:
    # The command reads LEADBOT_* from the environment; the test runner's own
    # LEADBOT_TEST_* variables are not settings, so they are hidden from it.
    hidden: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LEADBOT_")}
    return CliRunner().invoke(main, ["explain", *args, "--config", str(config)], env=hidden)


def test_explain_lists_eligible_ranked_then_the_rest_with_reasons(
    seeded: tuple[Path, int],
) -> None:
    config, lead_id = seeded
    result = _explain(config, str(lead_id))
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Lead {lead_id}: status offered, round 1 wave 1" in out
    assert "DE-BY, postal area 80, position known" in out
    assert "segment:   sme (120 employees)" in out
    assert "excluded:  GONE (returned)" in out
    assert "7 partners checked, 2 eligible, 5 not eligible" in out
    assert "Brauerei" not in out and "80331" not in out  # nothing identifying

    eligible = out.split("Eligible, best first (2)")[1].split("Not eligible")[0]
    rows = [line.split() for line in eligible.splitlines() if re.match(r"\s+\d+\s", line)]
    assert [row[:2] for row in rows] == [["1", "NEAR"], ["2", "ALL"]]
    assert "r1 w1 #1 open" in eligible  # the exclusive first-wave offer went to NEAR

    rest = out.split("Not eligible (5)")[1]
    assert re.search(r"FAR .*region: distance 5\d\d km > radius 100 km", rest)
    assert re.search(r"FULL .*capacity: 0 of 0 open leads: at capacity", rest)
    assert re.search(
        r"BASIC .*products: X200: X-series basic ≥ basic; X500: X-series basic < required advanced",
        rest,
    )
    assert re.search(r"AUT .*region: partner serves its own country AT; lead is in DE", rest)
    assert re.search(r"GONE .*not_excluded: returned this lead before", rest)
    assert "Turned away by: region 2, products 1, capacity 1, not_excluded 1" in out


def test_explain_one_partner_shows_every_filter_and_the_score(seeded: tuple[Path, int]) -> None:
    config, lead_id = seeded
    result = _explain(config, str(lead_id), "--partner", "FAR")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"Partner FAR (Partner FAR, gold) for lead {lead_id}: NOT ELIGIBLE")
    assert "✓ consent" in out and "✓ products" in out and "✓ capacity" in out
    assert re.search(r"✗ region\s+distance 5\d\d km > radius 100 km", out)
    assert "7 partners checked, 2 eligible" in out
    assert "Score it would have:" in out
    assert re.search(r"distance\s+0\.00 × 1 =\s+0\.00", out)  # 500 km > max_distance_km
    assert "Offers of this lead to the partner: none" in out
    # A row that passed says what was checked, not its label again ("✓ active  active").
    assert re.search(r"✓ active\s+not deactivated, paused or on leave\n", out)
    assert re.search(r"✓ not_excluded\s+not returned, declined or recalled before\n", out)
    assert not _rows_repeating_their_label(out)

    near = _explain(config, str(lead_id), "--partner", "NEAR")
    assert near.exit_code == 0
    assert "ELIGIBLE, rank 1" in near.output
    assert re.search(r"✓ region\s+distance \d+(\.\d)? km ≤ radius 50 km", near.output)
    assert "Offers of this lead to the partner: r1 w1 #1 open" in near.output


async def _give_near_channels(settings: Settings) -> None:
    """NEAR: a Slack channel, and a lead inbox that unsubscribed from teaser mails."""
    runtime = Runtime.create(settings, pooled=False)
    try:
        async with runtime.uow() as uow:
            near = await uow.session.get(Partner, "NEAR")
            assert near is not None
            near.slack_channel = "#near-leads"
            near.email = "leads@near.example"
            near.email_teasers_stopped_at = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
            await uow.commit()
    finally:
        await runtime.close()


def test_explain_one_partner_says_where_its_teasers_go(seeded: tuple[Path, int]) -> None:
    """Matching reads the directory, not the channels: staff asking why a partner never
    answers see that its inbox unsubscribed, or that no channel reaches it at all."""
    config, lead_id = seeded
    chats = config.with_name("chats.toml")
    chats.write_text(
        config.read_text()
        + '\n[slack]\nenabled = true\n\n[email]\nenabled = true\nfrom_address = "leads@maker.example"\n'
    )
    asyncio.run(_give_near_channels(load_settings(chats, environ={})))

    near = _explain(chats, str(lead_id), "--partner", "NEAR")
    assert near.exit_code == 0, near.output
    assert "\nTeasers go to: slack #near-leads\n" in near.output
    assert (
        "Teaser mails to its lead inbox are unsubscribed since 2026-11-28 "
        "(to resume: leadbot partners email-teasers NEAR --on)." in near.output
    )
    assert "No channel reaches" not in near.output

    far = _explain(chats, str(lead_id), "--partner", "FAR")
    assert far.exit_code == 0, far.output
    assert far.output.rstrip().endswith(
        "No channel reaches this partner: leads are offered to it, but nobody there sees "
        "them. Add a Slack channel, Telegram chat or lead inbox in the partners CSV, or "
        "pause it (leadbot partners pause FAR)."
    )
    # Slack is off in the first config: NEAR's channel reaches nobody from there.
    assert (
        "No channel reaches this partner"
        in _explain(config, str(lead_id), "--partner", "NEAR").output
    )

    german = chats.with_name("chats-de.toml")
    german.write_text(chats.read_text().replace('language = "en"', 'language = "de"'))
    out = _explain(german, str(lead_id), "--partner", "NEAR").output
    assert "\nTeaser gehen an: slack #near-leads\n" in out
    assert "Teaser-Mails an sein Lead-Postfach sind seit 28.11.2026 abbestellt" in out
    data = json.loads(_explain(chats, str(lead_id), "--partner", "NEAR", "--json").output)
    assert data["reach"]["channels"] == {"slack": "#near-leads"}


def _rows_repeating_their_label(out: str) -> list[str]:
    """Filter rows of ``explain --partner`` whose text only says the filter's name again."""
    rows = [line.split(None, 1)[1] for line in out.splitlines() if line.startswith(("  ✓", "  ✗"))]
    return [row for row in rows if len(set(re.split(r"\s{2,}", row.replace("_", " ")))) == 1]


def _columns(lines: list[str], pattern: str) -> set[int]:
    """Where ``pattern`` ends in each line that has it: one value = one aligned column."""
    return {m.end() for line in lines if (m := re.search(pattern, line))}


def test_explain_speaks_the_staff_language_in_aligned_columns(seeded: tuple[Path, int]) -> None:
    """Translated since issue 16: the same explanation in German ([staff] language = "de"),
    numbers as German writes them, the columns as straight as in English."""
    config, lead_id = seeded
    german = config.with_name("de.toml")
    german.write_text(config.read_text().replace('language = "en"', 'language = "de"'))
    result = _explain(german, str(lead_id))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"Lead {lead_id}: Status ausgeschrieben, Runde 1 Welle 1\n")
    assert "  Ort:            DE-BY, PLZ-Gebiet 80, Position bekannt" in out
    assert "  Segment:        sme (Mitarbeitende: 120)" in out
    assert "  Ausgeschlossen: GONE (zurückgegeben)" in out
    assert "  Stand jetzt:    7 Partner geprüft, 2 geeignet, 5 nicht geeignet" in out
    assert "Geeignet, die besten zuerst (2)" in out and "Nicht geeignet (5)" in out
    lines = out.splitlines()
    table = [line for line in lines if re.match(r"\s+(#|\d+)\s", line)]
    assert "Punkte" in table[0] and "Angebote" in table[0]
    assert re.search(r"1  NEAR Partner NEAR\s+\d,\d\d(  \s*\d,\d\d){6}  R1 W1 #1 offen", out)
    # The score column ends where its heading ends; likewise in English.
    assert len(_columns(table, r"^.{36}\s*(Punkte|\d,\d\d)")) == 1
    english = _explain(config, str(lead_id)).output.splitlines()
    en_table = [line for line in english if re.match(r"\s+(#|\d+)\s", line)]
    assert _columns(en_table, r"^.{36}\s*(score|\d\.\d\d)") == _columns(
        table, r"^.{36}\s*(Punkte|\d,\d\d)"
    )
    assert re.search(r"FAR Partner FAR\s+Region: Entfernung 5\d\d km > Radius 100 km", out)
    assert "Produkte: X200: X-series basic ≥ basic; X500: X-series basic < verlangt advanced" in out
    assert "Kapazität: 0 von 0 offenen Leads: ausgelastet" in out
    assert "nicht ausgeschlossen: hat diesen Lead schon zurückgegeben" in out
    assert "Ausgeschlossen durch: Region 2, Produkte 1, Kapazität 1, nicht ausgeschlossen 1" in out

    far = _explain(german, str(lead_id), "--partner", "FAR").output
    assert far.startswith(f"Partner FAR (Partner FAR, gold) für Lead {lead_id}: NICHT GEEIGNET")
    filters = [line for line in far.splitlines() if line.startswith(("  ✓", "  ✗"))]
    assert len(filters) == 7 and len(_columns(filters, r"^  . \S+( \S+)?\s+")) == 1
    assert re.search(r"✗ Region\s+Entfernung 5\d\d km > Radius 100 km", far)
    # The segment's words do not repeat its label (was "Segment  Segment des Leads: sme …").
    assert re.search(r"✓ Segment\s+Segment des Leads: sme \(Mitarbeitende: 120\)\n", far), far
    assert "Mögliche Punktzahl: 3," in far
    assert re.search(r"  Entfernung\s+0,00 × 1 =\s+0,00", far)
    assert "Angebote dieses Leads an den Partner: keine" in far
    assert re.search(r"✓ aktiv\s+weder deaktiviert noch pausiert noch abwesend\n", far)
    assert re.search(
        r"✓ nicht ausgeschlossen\s+bisher nicht zurückgegeben, abgelehnt oder zurückgerufen\n", far
    )
    assert not _rows_repeating_their_label(far)  # was "✓ aktiv  aktiv"
    # --json is data: the reasons stay in English there, with their key and parameters.
    data = json.loads(_explain(german, str(lead_id), "--json").output)
    far_data = next(p for p in data["explanation"]["ineligible"] if p["partner_id"] == "FAR")
    region = next(c for c in far_data["checks"] if c["name"] == "region")
    assert region["detail"].startswith("distance ") and region["key"] == "distance"
    assert region["params"]["radius"] == 100


def test_explain_as_json_gives_the_same_data(seeded: tuple[Path, int]) -> None:
    config, lead_id = seeded
    result = _explain(config, str(lead_id), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    explanation = data["explanation"]
    assert [p["partner_id"] for p in explanation["eligible"]] == ["NEAR", "ALL"]
    assert explanation["lead"]["segment"] == "sme"
    far = next(p for p in explanation["ineligible"] if p["partner_id"] == "FAR")
    assert [c["name"] for c in far["checks"] if not c["passed"]] == ["region"]
    assert data["offers"]["NEAR"][0]["wave"] == 1


def test_unknown_lead_or_partner_is_a_clear_error(seeded: tuple[Path, int]) -> None:
    config, lead_id = seeded
    missing = _explain(config, "999999")
    assert missing.exit_code == 1
    assert "lead 999999 does not exist" in missing.output
    nobody = _explain(config, str(lead_id), "--partner", "NOPE")
    assert nobody.exit_code == 1
    assert "partner 'NOPE' does not exist" in nobody.output
    bad = _explain(config, "abc")
    assert bad.exit_code == 2
    assert "Invalid value for 'LEAD': 'abc' is not a lead number: give the lead's id" in bad.output


def test_a_pause_reason_stored_with_a_line_break_is_shown_on_one_line(
    seeded: tuple[Path, int],
) -> None:
    """A reason with a control character is refused now; one stored before may hold a
    line break, which would forge a line of the explanation."""
    config, lead_id = seeded

    async def pause_the_old_way() -> None:
        runtime = Runtime.create(load_settings(config, environ={}), pooled=False)
        try:
            async with runtime.uow() as uow:
                partner = await add_partner(uow, "OLD")
                partner.paused_at = runtime.clock.now()
                partner.pause_reason = "office moves\n✓ consent   forged\x1b[31m"
                await uow.commit()
        finally:
            await runtime.close()

    asyncio.run(pause_the_old_way())
    result = _explain(config, str(lead_id), "--partner", "OLD")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    paused = [line for line in lines if "office moves" in line]
    assert len(paused) == 1 and "office moves ✓ consent forged\ufffd[31m" in paused[0], lines
    assert not any(line.lstrip().startswith("✓ consent   forged") for line in lines)
    assert "\x1b" not in result.output


def test_docs_matching_shows_what_explain_prints(seeded: tuple[Path, int]) -> None:
    """docs/matching.md's ``$ leadbot explain 1`` is this world's lead: the reader compares
    their own output with it, so it must be what leadbot prints today."""
    [shown] = [
        block.text
        for block in fenced_blocks(REPO / "docs" / "matching.md")
        if block.text.startswith("$ leadbot explain 1\n")
    ]
    config, lead_id = seeded
    out = _explain(config, str(lead_id)).output
    assert shown.removeprefix("$ leadbot explain 1\n").rstrip() == out.rstrip()
