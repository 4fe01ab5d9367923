"""``erase <lead>`` from a chat, refused: the answer the person sees, in their language,
and the lead keeps its personal data.

Two reasons: the process's tombstone key does not fit the one the database recorded
(another process recorded its key after this one started; docs/crm.md, "The tombstone
key"), or the person is not staff. On the console the answer is the chat's reply line; on
Telegram staff confirm with the Erase button and a refusal is the button's alert.

``leadbot erase`` and the API with another key: tests/test_tombstone_key.py; an erasure
that succeeds: tests/test_erase.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.models import Lead, LeadPersonalData, LeadStatus, LeadTombstone
from bot.runtime import Runtime
from tests.conftest import SettingsFactory
from tests.support.cli import leadbot
from tests.support.console import Console
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.telegram_world import telegram_settings, telegram_world

KEY = {"LEADBOT_SERVER__TOMBSTONE_KEY": "tombstone-key-C-5e81b2d07a9c4f36"}
PRODUCTS = [{"id": "X200", "line": "X-series"}]
NOT_ERASED = {
    "en": "✖ Lead #{lead} was not erased: leadbot's tombstone key does not fit its database"
    " (LEADBOT_SERVER__TOMBSTONE_KEY). Ask the operator to give every leadbot process the"
    " same key.",
    "de": "✖ Lead #{lead} wurde nicht gelöscht: Der Tombstone-Schlüssel"
    " (LEADBOT_SERVER__TOMBSTONE_KEY) passt nicht zur Datenbank. Bitten Sie den Betrieb,"
    " allen leadbot-Prozessen denselben zu geben.",
}
STAFF_ONLY = {
    "en": "✖ Only the manufacturer's staff may do that.",
    "de": "✖ Das dürfen nur Mitarbeitende des Herstellers.",
}


async def _kept(runtime: Runtime, lead_id: int) -> tuple[LeadStatus, bool, int]:
    """The lead's status, whether its personal data is there, and the tombstones stored."""
    async with runtime.uow() as uow:
        lead = await uow.session.get(Lead, lead_id)
        assert lead is not None
        personal = await uow.session.get(LeadPersonalData, lead_id)
        tombstones = await uow.session.scalar(select(func.count()).select_from(LeadTombstone))
        return lead.status, personal is not None, tombstones or 0


async def _record_another_key(database_url: str) -> None:
    """What an operator's ``leadbot tombstones reset-key`` with another key does to a
    running bot that has none: from now on its key does not fit the database."""
    recorded = await asyncio.to_thread(
        leadbot, database_url, "tombstones", "reset-key", "--yes", **KEY
    )
    assert recorded.exit_code == 0, recorded.output


@pytest.mark.parametrize("language", ["en", "de"])
async def test_staff_hear_that_the_tombstone_key_does_not_fit_and_nothing_is_erased(
    make_settings: SettingsFactory, clock: ManualClock, database_url: str, language: str
) -> None:
    """The console says why in ``[staff] language`` and whom to ask; no key in the answer.
    Once the key fits again (here: none recorded any more), the same line erases."""
    settings = make_settings(products=PRODUCTS, staff={"language": language})
    runtime = Runtime.create(settings, clock=clock)
    try:
        lead = await store_lead(runtime, 1)
        before = await _kept(runtime, lead)
        assert before[1:] == (True, 0)
        await _record_another_key(database_url)
        console = Console(runtime)
        await console("as staff")  # the staff feed so far: the lead came in

        answer = await console(f"erase {lead}")

        assert answer == NOT_ERASED[language].format(lead=lead), answer
        assert KEY["LEADBOT_SERVER__TOMBSTONE_KEY"] not in answer
        assert await _kept(runtime, lead) == before
        cleared = await asyncio.to_thread(leadbot, database_url, "tombstones", "reset-key", "--yes")
        assert cleared.exit_code == 0, cleared.output
        assert (await console(f"erase {lead}")).startswith(f"✔ Lead #{lead} ")
        assert (await _kept(runtime, lead))[:2] == (LeadStatus.ERASED, False)
    finally:
        await runtime.close()


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_rep_who_types_erase_is_told_it_is_for_staff_and_nothing_is_erased(
    make_settings: SettingsFactory, clock: ManualClock, language: str
) -> None:
    """Also the rep of the partner the lead is offered to, in the rep's own language."""
    runtime = Runtime.create(make_settings(products=PRODUCTS), clock=clock)
    try:
        async with runtime.uow() as uow:
            await add_partner(uow, "P1", languages=[language])
            await add_rep(uow, "P1", "rep@p1.example", role="manager", language=language)
            await uow.commit()
        lead = await store_lead(runtime, 1)
        before = await _kept(runtime, lead)
        assert before == (LeadStatus.OFFERED, True, 0)
        console = Console(runtime)
        await console("as rep@p1.example")

        assert await console(f"erase {lead}") == STAFF_ONLY[language]
        assert await _kept(runtime, lead) == before
    finally:
        await runtime.close()


@pytest.mark.parametrize("language", ["en", "de"])
async def test_telegram_staff_pressing_erase_see_the_refusal_as_an_alert(
    make_settings: SettingsFactory, telegram_emulator: Any, database_url: str, language: str
) -> None:
    """Staff confirm ``/erase`` with the Erase button; with a key that does not fit, the
    button's alert says why (in full: it fits Telegram's 200 characters in both languages),
    no "erased" message follows, and the lead keeps its data."""
    staff_user = 9_001
    settings = telegram_settings(
        make_settings,
        telegram_emulator,
        staff={"telegram_users": [staff_user], "language": language},
    )
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead = await world.post_lead()
        before = await _kept(world.bot.runtime, lead)
        await _record_another_key(database_url)
        boss = world.driver.user(staff_user, "Stefanie", language_code=language)

        await world.driver.command(boss, "erase", str(lead))
        confirm = await world.private(staff_user, lambda m: bool(m.button(f"erase:{lead}")))
        await world.driver.press(boss, f"erase:{lead}", message_id=confirm.message_id)

        [alert] = await world.tg.wait_for_async(lambda: world.tg.callback_answers(staff_user))
        assert alert.show_alert
        assert alert.text == NOT_ERASED[language].removeprefix("✖ ").format(lead=lead)
        await world.settled()
        said = [m.plain_text for m in world.tg.bot_messages(staff_user)]
        assert not any("erased." in text for text in said), said
        assert await _kept(world.bot.runtime, lead) == before
