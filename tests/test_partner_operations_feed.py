"""What the staff feed says about partner operations — a lead assigned, a partner paused
and resumed by staff, a partner marked away by its manager — in the reader's language,
naming who acted ("Mitarbeitende" / "staff", or the rep by name).

The operations themselves: tests/test_partner_operations_pause.py and
tests/test_partner_operations_assign.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import ManualClock
from bot.runtime import Runtime
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, store_lead


@pytest.mark.parametrize(
    ("language", "says"),
    [
        (
            "de",
            [
                "Lead #{lead} von Mitarbeitenden an Partner P2 zugewiesen.",
                "Partner Partner P2 von Mitarbeitenden pausiert, bis er fortgesetzt wird.",
                "Partner Partner P2 bekommt wieder Angebote (fortgesetzt von Mitarbeitenden).",
                "Partner Partner P1 von Boss P1 bis einschließlich {until} pausiert. Grund: Messe.",
            ],
        ),
        (
            "en",
            [
                "Lead #{lead} assigned to Partner P2 by staff.",
                "Partner Partner P2 paused by staff until resumed.",
                "Partner Partner P2 gets teasers again (resumed by staff).",
                "Partner Partner P1 paused by Boss P1 through {until}. Reason: trade fair.",
            ],
        ),
    ],
)
async def test_the_staff_feed_says_who_acted_in_the_reader_s_language(
    make_settings: Any, clock: ManualClock, language: str, says: list[str]
) -> None:
    """Staff known by no name are "Mitarbeitenden" / "staff" in the feed, not the English
    placeholder "staff" in German lines; a rep (a manager marking their partner away) is
    named. A pause without a reason shows none — not the stored "paused by staff", and no
    "Grund: –." either."""
    settings = make_settings(
        distribution={"waves": [{"size": 0, "minutes": 60}]},
        products=[{"id": "X200", "line": "X-series"}],
        staff={"language": language},
    )
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        for pid in ("P1", "P2"):
            await add_partner(uow, pid)
        await add_rep(uow, "P1", "boss@p1.example", name="Boss P1", role="manager")
        await uow.commit()
    lead = await store_lead(runtime, 1)
    console = Console(runtime)
    feed = await console(f"assign {lead} P2")
    feed += "\n" + await console("pause P2")
    feed += "\n" + await console("resume P2")
    await console("as boss@p1.example")
    reason = "Messe" if language == "de" else "trade fair"
    await console(f"away until 2026-03-24 {reason}")
    feed += "\n" + await console("as staff")  # what arrived meanwhile
    until = "24.03.2026" if language == "de" else "2026-03-24"
    said = [line.strip().removeprefix("◆ ") for line in feed.splitlines()]
    for line in says:
        assert line.format(lead=lead, until=until) in said, feed
    if language == "de":  # the console's heading too: "[Feed der Mitarbeitenden]"
        assert "staff" not in feed.lower(), feed
    await runtime.close()
