"""A Slack Claim press is decided — and answered — before Slack gets its 200.

So an acknowledged press can never be lost to a crash between the ack and the claim (the
crash itself is tests/test_press_crash.py). When the database cannot decide within about
two seconds (here: another connection holds the lead locked), the press is not
acknowledged: Slack shows the rep it failed, nothing changed, and the press retried
afterwards claims the lead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from bot.db import create_engine_sync
from bot.models import Lead, LeadStatus
from tests.emulators.slack import SlackEmulator
from tests.support.slack_world import PartnerSpec, slack_settings, slack_world

REPS = [PartnerSpec("P01", "C0001", "U0001", language="en")]
HANG_GUARD_SECONDS = 5.0  # only guards against a hang: Slack itself gives up after 3 s


@contextmanager
def lead_locked(database_url: str, lead_id: int) -> Iterator[None]:
    """Another connection holds the lead's row (on SQLite: the database's write lock)."""
    engine = create_engine_sync(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(select(Lead.id).where(Lead.id == lead_id).with_for_update())
            yield
            connection.rollback()
    finally:
        engine.dispose()


async def test_an_acknowledged_press_is_already_decided_and_answered(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        press = await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        assert press.status == 200
        # No waiting: what the 200 promises is already true.
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        answers = slack_emulator.ephemerals("C0001", "U0001")
        assert [a.text for a in answers if "is yours" in a.text]


async def test_a_press_the_database_cannot_decide_in_time_is_not_acknowledged(
    make_settings, slack_emulator: SlackEmulator, database_url: str
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.settled()
        with lead_locked(database_url, lead_id):
            press = await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        assert not press.ok and press.elapsed < HANG_GUARD_SECONDS
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED

        again = await world.driver.resend(press, retry_num=1)  # the rep presses again
        assert again.status == 200
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        assert any("is yours" in a.text for a in slack_emulator.ephemerals("C0001", "U0001"))
