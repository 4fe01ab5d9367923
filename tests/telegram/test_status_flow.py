"""Status on the phone: the card's buttons, sub-menus and typed answers, to the end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.clock import ManualClock
from bot.directory.availability import local_date
from bot.models import LeadEvent, LeadStatus
from tests.emulators.telegram import TgMessage
from tests.support.telegram_world import World, telegram_settings, telegram_world


async def _claimed(world: World) -> tuple[int, int, TgMessage]:
    """Post a lead, let rep 0 claim it; the lead id, rep 0's user id and their card."""
    lead_id = await world.post_lead()
    await world.teaser(world.groups[0])
    user = world.users[0]
    await world.driver.press(user, "claim:", chat_id=world.groups[0])
    card = await world.private(user, lambda m: bool(m.button(f"st:{lead_id}:")))
    await world.settled()
    return lead_id, user, card


def _card(world: World, user: int, card: TgMessage) -> TgMessage:
    return world.tg.message(user, card.message_id)


async def _lost_question(
    world: World, user: int, lead_id: int, card: TgMessage, reason: str = "price"
) -> TgMessage:
    """Press Lost on the card, then ``reason``: the note question that follows (with Skip)."""
    await world.driver.press(user, f"st:{lead_id}:lost", message_id=card.message_id)
    await world.tg.wait_for_async(lambda: _card(world, user, card).button(f"lost:{lead_id}:"))
    before = world.tg.bot_messages(user)[-1].message_id
    await world.driver.press(user, f"lost:{lead_id}:{reason}", message_id=card.message_id)
    return await world.private(
        user, lambda m: m.message_id > before and bool(m.button(f"skip:{lead_id}"))
    )


async def _status_is(world: World, lead_id: int, status: LeadStatus) -> None:
    async def reached() -> bool:
        return (await world.lead(lead_id)).status is status

    for _ in range(500):
        if await reached():
            return
        await world.settled()
    raise AssertionError(f"lead {lead_id} never reached {status}")


async def test_the_full_status_flow_ends_in_won_with_revenue(make_settings, telegram_emulator):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        tg, driver = world.tg, world.driver
        lead_id, user, card = await _claimed(world)

        for action, status in (("contacted", "kontaktiert"), ("meeting", "Termin")):
            await driver.press(user, f"st:{lead_id}:{action}", message_id=card.message_id)
            await world.settled()
            assert status.lower() in _card(world, user, card).plain_text.lower()
        # The proposal to the prospect, not the lead offered to partners ("ausgeschrieben").
        proposal = _card(world, user, card).button(f"st:{lead_id}:proposal")
        assert proposal is not None and proposal["text"] == "📄 Angebot abgegeben"
        await driver.press(user, f"st:{lead_id}:proposal", message_id=card.message_id)
        await world.settled()
        shown = _card(world, user, card)
        assert f"st:{lead_id}:proposal" not in [b["callback_data"] for b in shown.buttons()]
        assert "Angebot abgegeben" in shown.plain_text

        # Follow-up: the sub-menu replaces the buttons, +3 days sets the date.
        await driver.press(user, f"st:{lead_id}:follow_up", message_id=card.message_id)
        menu = await tg.wait_for_async(lambda: _card(world, user, card).button(f"fu:{lead_id}:3"))
        assert menu is not None
        await driver.press(user, f"fu:{lead_id}:3", message_id=card.message_id)
        await world.settled()
        today = local_date(world.runtime.settings, world.runtime.clock.now())
        assert (await world.lead(lead_id)).follow_up_on == today + timedelta(days=3)
        assert _card(world, user, card).button(f"st:{lead_id}:won") is not None

        # Won: the bot asks for the revenue, refuses nonsense, accepts "12.500,50 €".
        await driver.press(user, f"st:{lead_id}:won", message_id=card.message_id)
        question = await world.private(user, lambda m: "Umsatz" in m.plain_text)
        assert question.reply_markup["force_reply"] is True
        await driver.send_text(user, "ziemlich viel")
        again = await world.private(
            user, lambda m: m.message_id > question.message_id and "Betrag" in m.plain_text
        )
        assert again.reply_markup["force_reply"] is True
        await driver.send_text(user, "1.000.000.000.000")
        await world.private(
            user, lambda m: m.message_id > again.message_id and "zu hoch" in m.plain_text
        )
        assert (await world.lead(lead_id)).status is LeadStatus.PROPOSAL
        await driver.send_text(user, "12.500,50 €")
        await _status_is(world, lead_id, LeadStatus.WON)
        await world.settled()
        lead = await world.lead(lead_id)
        assert lead.revenue_eur == Decimal("12500.50")
        final = _card(world, user, card)
        assert final.buttons() == [] and "12.500,50 €" in final.plain_text
        async with world.runtime.uow() as uow:
            events = (
                await uow.session.scalars(
                    select(LeadEvent.to_status)
                    .where(LeadEvent.lead_id == lead_id, LeadEvent.to_status.is_not(None))
                    .order_by(LeadEvent.id)
                )
            ).all()
        assert list(events)[-4:] == ["contacted", "meeting", "proposal", "won"]


async def test_lost_with_a_reason_and_a_note_and_hand_back(make_settings, telegram_emulator):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        driver = world.driver
        lead_id, user, card = await _claimed(world)
        await _lost_question(world, user, lead_id, card, "competitor")
        await driver.send_text(user, "Wettbewerber <X> war 10 % günstiger & schneller")
        await _status_is(world, lead_id, LeadStatus.LOST)
        await world.settled()
        lead = await world.lead(lead_id)
        assert lead.lost_reason == "competitor"
        async with world.runtime.uow() as uow:
            event = await uow.session.scalar(
                select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.to_status == "lost")
            )
        assert event is not None and event.detail["note"].startswith("Wettbewerber <X>")

        # A second lead, handed back: the card loses its details and buttons.
        second, _, card2 = await _claimed(world)
        await driver.press(user, f"st:{second}:hand_back", message_id=card2.message_id)
        await world.tg.wait_for_async(lambda: _card(world, user, card2).button(f"hb:{second}:"))
        await driver.press(user, f"hb:{second}:wrong_region", message_id=card2.message_id)
        await world.settled()
        lead = await world.lead(second)
        assert lead.status is LeadStatus.OFFERED and lead.owner_partner_id is None
        shown = _card(world, user, card2)
        assert shown.buttons() == [] and "Brauerei" not in shown.plain_text


async def test_a_typed_follow_up_date_out_of_range_is_asked_again(make_settings, telegram_emulator):
    """A date that reads as a date but cannot be one (yesterday, more than a year ahead) is
    refused like one that does not read: the question is asked again, so the rep's next
    answer is taken — not met with "please use the buttons"."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver = world.driver
        lead_id, user, card = await _claimed(world)
        today = local_date(world.runtime.settings, world.runtime.clock.now())

        await driver.press(user, f"st:{lead_id}:follow_up", message_id=card.message_id)
        await world.tg.wait_for_async(lambda: _card(world, user, card).button(f"fu:{lead_id}:date"))
        await driver.press(user, f"fu:{lead_id}:date", message_id=card.message_id)
        question = await world.private(user, lambda m: "Wiedervorlage" in m.plain_text)

        await driver.send_text(user, (today - timedelta(days=1)).strftime("%d.%m.%Y"))
        past = await world.private(user, lambda m: m.message_id > question.message_id)
        assert "Vergangenheit" in past.plain_text and "Wiedervorlage" in past.plain_text
        assert past.reply_markup["force_reply"] is True

        await driver.send_text(user, (today + timedelta(days=400)).strftime("%d.%m.%Y"))
        far = await world.private(user, lambda m: m.message_id > past.message_id + 1)
        assert "Wiedervorlage" in far.plain_text and far.reply_markup["force_reply"] is True

        later = today + timedelta(days=5)
        await driver.send_text(user, later.strftime("%d.%m.%Y"))
        await world.private(user, lambda m: m.message_id > far.message_id + 1)
        await world.settled()
        assert (await world.lead(lead_id)).follow_up_on == later


async def test_another_button_ends_an_open_question(make_settings, telegram_emulator):
    """A rep who starts "Lost", picks a reason and then reports "Contacted" instead has
    changed their mind: what they type next is no note on a loss. (It closed the lead as
    lost — for good — with their chatter as the note.) Paging the sales kit is no change
    of mind: an open question stays open meanwhile."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver = world.driver
        lead_id, user, card = await _claimed(world)
        prompt = await _lost_question(world, user, lead_id, card)
        await world.tg.wait_for_async(
            lambda: _card(world, user, card).button(f"st:{lead_id}:contacted")
        )
        await driver.press(user, f"st:{lead_id}:contacted", message_id=card.message_id)
        await _status_is(world, lead_id, LeadStatus.CONTACTED)

        await driver.send_text(user, "Kunde ruft morgen zurück")
        await world.private(
            user, lambda m: m.message_id > prompt.message_id and "Knöpfe" in m.plain_text
        )
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CONTACTED

        # The revenue question survives a look at the sales kit.
        await driver.press(user, f"st:{lead_id}:won", message_id=card.message_id)
        question = await world.private(user, lambda m: "Umsatz" in m.plain_text)
        kit = await world.private(user, lambda m: bool(m.button("kit:")))
        await driver.press(user, "kit:", message_id=kit.message_id)
        await driver.send_text(user, "12.500")
        await _status_is(world, lead_id, LeadStatus.WON)
        assert question.message_id


async def test_a_lost_note_that_cannot_be_taken_is_asked_again(make_settings, telegram_emulator):
    """A note over 2,000 characters is no reason to drop the question (the rep's next try
    met "please use the buttons"): the bot says the limit and asks again, Skip included;
    the lead stays open until a note is taken."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver = world.driver
        lead_id, user, card = await _claimed(world)
        prompt = await _lost_question(world, user, lead_id, card)

        await driver.send_text(user, "zu teuer " * 250)
        again = await world.private(user, lambda m: m.message_id > prompt.message_id)
        assert "höchstens 2000 Zeichen" in again.plain_text
        assert again.button(f"skip:{lead_id}") is not None  # the same question, Skip too
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED

        await driver.send_text(user, "zu teuer")
        await _status_is(world, lead_id, LeadStatus.LOST)
        async with world.runtime.uow() as uow:
            event = await uow.session.scalar(
                select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.to_status == "lost")
            )
        assert event is not None and event.detail["note"] == "zu teuer"


async def test_a_loss_waits_for_its_note_and_an_expired_question_says_it_was_not_saved(
    make_settings, telegram_emulator
):
    """The note's question said "Lead #1 verloren (Preis)", but the loss is recorded only
    with the note or Skip — as Slack's modal and the console record the reason and note
    together. So the question says the loss is not saved yet and what happens without an
    answer; an answer or Skip after it expired is told the lead was not saved as lost (it
    stays open), instead of "please use the buttons" or nothing at all."""
    settings = telegram_settings(make_settings, telegram_emulator)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with telegram_world(settings, telegram_emulator, partners=1, clock=clock) as world:
        driver, tg = world.driver, world.tg
        lead_id, user, card = await _claimed(world)

        prompt = await _lost_question(world, user, lead_id, card)
        assert "noch nicht als verloren (Preis) gespeichert" in prompt.plain_text
        assert "Ohne Antwort in 15 Minuten bleibt der Lead offen" in prompt.plain_text
        assert prompt.button(f"skip:{lead_id}")["text"] == "Ohne Notiz speichern"

        clock.advance(minutes=16)
        await driver.send_text(user, "zu teuer")
        late = await world.private(user, lambda m: m.message_id > prompt.message_id)
        assert f"Lead #{lead_id} ist nicht als verloren gespeichert" in late.plain_text
        assert "nach 15 Minuten abgelaufen" in late.plain_text
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED

        # Told once: what the rep types next is ordinary chatter.
        await driver.send_text(user, "hallo")
        await world.private(
            user, lambda m: m.message_id > late.message_id and "Knöpfe" in m.plain_text
        )

        # Skip after the limit: the same, as an alert, and the Skip button goes.
        second = await _lost_question(world, user, lead_id, card)
        clock.advance(minutes=16)
        await driver.press(user, f"skip:{lead_id}", message_id=second.message_id)
        told = await tg.wait_for_async(
            lambda: [a for a in tg.callback_answers(user) if a.data == f"skip:{lead_id}"]
        )
        assert told[-1].show_alert and "nicht als verloren gespeichert" in (told[-1].text or "")
        await tg.wait_for_async(lambda: tg.message(user, second.message_id).buttons() == [])
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED

        # In time, Skip records the loss.
        third = await _lost_question(world, user, lead_id, card)
        clock.advance(minutes=14)
        await driver.press(user, f"skip:{lead_id}", message_id=third.message_id)
        await _status_is(world, lead_id, LeadStatus.LOST)


async def test_revenue_typed_with_the_word_euro_is_taken(make_settings, telegram_emulator):
    """German reps write "12.500 Euro" as often as "12.500 €": it was refused with "Bitte
    einen Betrag in Euro angeben" — to someone who had just written Euro."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead_id, user, card = await _claimed(world)
        await world.driver.press(user, f"st:{lead_id}:won", message_id=card.message_id)
        await world.private(user, lambda m: "Umsatz" in m.plain_text)
        await world.driver.send_text(user, "12.500 Euro")
        await _status_is(world, lead_id, LeadStatus.WON)
        assert (await world.lead(lead_id)).revenue_eur == Decimal("12500")


async def test_abbrechen_typed_as_a_command_cancels_the_question(make_settings, telegram_emulator):
    """ "abbrechen" cancels an open question; a German rep types it the Telegram way too,
    /abbrechen — which ended the question silently and answered "/abbrechen kenne ich
    nicht", leaving the rep unsure whether the revenue question was still open."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead_id, user, card = await _claimed(world)
        await world.driver.press(user, f"st:{lead_id}:won", message_id=card.message_id)
        question = await world.private(user, lambda m: "Umsatz" in m.plain_text)
        await world.driver.command(user, "abbrechen")
        told = await world.private(user, lambda m: m.message_id > question.message_id + 1)
        assert told.plain_text == "Abgebrochen."
        await world.driver.send_text(user, "12.500")
        await world.private(
            user, lambda m: m.message_id > told.message_id and "Knöpfe" in m.plain_text
        )
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def test_skip_on_an_old_note_question_keeps_another_expired_question(
    make_settings, telegram_emulator
):
    """Skip belongs to the note on a loss. Pressed on an old note question while another
    question (the revenue of a win) had expired, it forgot that one: the revenue typed
    after it was taken for chatter ("please use the buttons") instead of being told it came
    too late and nothing was saved."""
    settings = telegram_settings(make_settings, telegram_emulator)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with telegram_world(settings, telegram_emulator, partners=1, clock=clock) as world:
        driver, tg = world.driver, world.tg
        lead_id, user, card = await _claimed(world)
        note_question = await _lost_question(world, user, lead_id, card)
        await driver.press(user, f"st:{lead_id}:won", message_id=card.message_id)
        revenue = await world.private(user, lambda m: "Umsatz" in m.plain_text)

        clock.advance(minutes=16)
        await driver.press(user, f"skip:{lead_id}", message_id=note_question.message_id)
        told = await tg.wait_for_async(
            lambda: [a for a in tg.callback_answers(user) if a.data == f"skip:{lead_id}"]
        )
        assert told[-1].show_alert and "abgelaufen" in (told[-1].text or "")
        await driver.send_text(user, "12.500")
        await world.private(  # after the line that the question expired (it is told that too)
            user,
            lambda m: m.message_id > revenue.message_id and "kam zu spät" in m.plain_text,
        )
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def test_a_question_that_runs_out_unanswered_is_told_once(make_settings, telegram_emulator):
    """A rep who pressed Lost, price and walked away was told nothing when the note's
    question ran out — the prompt said the lead would stay open, but only an answer after
    the limit showed it. Now the private chat gets one line when it runs out; a question
    answered in time gets none."""
    settings = telegram_settings(make_settings, telegram_emulator)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with telegram_world(settings, telegram_emulator, partners=1, clock=clock) as world:
        tg = world.tg
        lead_id, user, card = await _claimed(world)

        def expired_lines() -> list[TgMessage]:
            return [m for m in tg.bot_messages(user) if "abgelaufen" in m.plain_text]

        # Unanswered: one line, in the rep's language, saying the lead stays open.
        prompt = await _lost_question(world, user, lead_id, card)
        clock.advance(minutes=16)
        told = await world.private(
            user, lambda m: m.message_id > prompt.message_id and "abgelaufen" in m.plain_text
        )
        assert f"Lead #{lead_id} ist nicht als verloren gespeichert" in told.plain_text
        assert "der Lead bleibt offen" in told.plain_text
        clock.advance(minutes=30)
        await world.settled()
        assert len(expired_lines()) == 1
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED

        # Answered in time: nothing when its 15 minutes are up.
        await world.driver.press(user, f"st:{lead_id}:follow_up", message_id=card.message_id)
        await tg.wait_for_async(lambda: _card(world, user, card).button(f"fu:{lead_id}:"))
        await world.driver.press(user, f"fu:{lead_id}:date", message_id=card.message_id)
        asked = await world.private(user, lambda m: "an welchem Tag" in m.plain_text)
        await world.driver.send_text(user, "+3d")
        await world.private(user, lambda m: m.message_id > asked.message_id)
        clock.advance(minutes=16)
        await asyncio.sleep(1)  # the scheduler's passes (0.2 s apart) find the timer due
        await world.settled()
        assert len(expired_lines()) == 1
