"""“Not for us”: a partner declines an offer with a reason — on the console, Slack, Telegram
and by e-mail. The partner's teaser says so, the partner never gets the lead again, staff
see the reason, the report counts it, and when nobody is left to claim, the next wave starts
at once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.handlers.console.session import ConsoleSession
from bot.leads.declines import DECLINE_REASONS
from bot.models import Channel, LeadEvent, LeadExclusion, LeadStatus, Offer, OfferStatus
from bot.runtime import Runtime
from tests.support.botserver import running_bot
from tests.support.cli import leadbot
from tests.support.drivers.telegram import teaser_in
from tests.support.email_world import Browser
from tests.support.factories import add_partner, add_rep, store_lead
from tests.support.slack_world import STAFF_CHANNEL, PartnerSpec, slack_settings, slack_world
from tests.support.telegram_world import telegram_settings, telegram_world
from tests.support.world import eventually, submit_lead
from tests.test_email_channel import ANNA, INBOX, email_settings, mail_only_partner, post_lead

WAVES = [{"size": 1, "minutes": 60}, {"size": 0, "minutes": 120}]


async def _offers(runtime: Runtime, lead_id: int) -> dict[str, OfferStatus]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(select(Offer).where(Offer.lead_id == lead_id))
        return {o.partner_id: o.status for o in rows}


@pytest.fixture
def console_settings(make_settings: Any) -> Any:
    return make_settings(
        distribution={"waves": WAVES},
        products=[{"id": "X200", "line": "X-series"}],
        staff={"language": "en"},
        # Equal partners would take turns in wave 1 (fairness); here P1 gets every wave 1.
        matching={"fairness": 0},
    )


async def test_console_declines_with_each_reason_and_the_next_wave_starts_at_once(
    console_settings: Any, database_url: str
) -> None:
    runtime = Runtime.create(console_settings)
    async with runtime.uow() as uow:
        for pid in ("P1", "P2", "P3"):
            await add_partner(uow, pid, languages=["en"])
            await add_rep(uow, pid, f"rep@{pid.lower()}.example", name=f"Rep {pid}", language="en")
        await uow.commit()
    leads = [await store_lead(runtime, n) for n in range(len(DECLINE_REASONS))]
    lines: list[str] = []
    session = ConsoleSession(runtime, out=lines.append)
    await session.handle_line("as rep@p1.example")
    offers = {lead: next(iter(await _offers(runtime, lead))) for lead in leads}
    assert set(offers.values()) == {"P1"}  # wave 1: the best partner alone (ties: by id)
    async with runtime.uow() as uow:
        offer_ids = {
            o.lead_id: o.id
            for o in await uow.session.scalars(select(Offer).where(Offer.partner_id == "P1"))
        }

    lines.clear()
    await session.handle_line(f"decline {offer_ids[leads[0]]} other")
    assert "✖ For “other”, please say in a few words why." in "\n".join(lines)
    assert (await _offers(runtime, leads[0]))["P1"] is OfferStatus.OPEN  # nothing changed
    for lead, reason in zip(leads, DECLINE_REASONS, strict=True):
        note = " we only do cloud" if reason == "other" else ""
        lines.clear()
        await session.handle_line(f"decline {offer_ids[lead]} {reason}{note}")
        out = "\n".join(lines)
        assert "✔ Declined. This lead will not be offered to your company again." in out
        assert "Declined by Rep P1" in out  # the partner's own teaser says so
        # Nobody left to claim: wave 2 (everyone else) started at once, without the timer.
        assert await _offers(runtime, lead) == {
            "P1": OfferStatus.DECLINED,
            "P2": OfferStatus.OPEN,
            "P3": OfferStatus.OPEN,
        }
    lines.clear()
    await session.handle_line(f"decline {offer_ids[leads[1]]} too_far")
    assert "✖ Your company has already declined this lead." in "\n".join(lines)

    lines.clear()
    await session.handle_line("as staff")
    for _ in range(5):  # page back through everything that arrived meanwhile
        await session.handle_line("more")
    feed = "\n".join(lines)
    assert "No older messages." in feed
    assert f"Lead #{leads[0]}: Partner P1 declined (too far away)." in feed
    assert f"Lead #{leads[4]}: Partner P1 declined (other)." in feed
    async with runtime.uow() as uow:
        excluded = await uow.session.scalars(
            select(LeadExclusion).where(LeadExclusion.partner_id == "P1")
        )
        assert {(e.lead_id, e.reason) for e in excluded} == {(lead, "declined") for lead in leads}
        events = await uow.session.scalars(select(LeadEvent).where(LeadEvent.kind == "declined"))
        assert sorted(e.detail["reason"] for e in events) == sorted(DECLINE_REASONS)
    # Never again: after a recall the lead goes to others, P1 stays excluded.
    lines.clear()
    await session.handle_line(f"explain {leads[0]} P1")
    assert "declined this lead before" in "\n".join(lines)  # explain, in [staff] language
    await runtime.close()

    report = await asyncio.to_thread(leadbot, database_url, "report", "--format", "json")
    assert report.exit_code == 0, report.output
    partners = {p["partner_id"]: p for p in json.loads(report.output)["partners"]}
    assert partners["P1"]["declines"] == len(DECLINE_REASONS)


async def test_last_decline_of_the_last_wave_leaves_the_lead_unclaimed(
    console_settings: Any,
) -> None:
    runtime = Runtime.create(console_settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1")
        await add_rep(uow, "P1", "rep@p1.example", language="en")
        await uow.commit()
    lead = await store_lead(runtime, 1)
    session = ConsoleSession(runtime, out=lambda _line: None)
    await session.handle_line("as rep@p1.example")
    [offer_id] = [o.id for o in await _all_offers(runtime)]
    await session.handle_line(f"decline {offer_id} not_our_segment")
    async with runtime.uow() as uow:
        from bot.models import Lead

        stored = await uow.session.get(Lead, lead)
        assert stored is not None and stored.status is LeadStatus.UNCLAIMED
    await runtime.close()


async def _all_offers(runtime: Runtime) -> list[Offer]:
    async with runtime.uow() as uow:
        return list(await uow.session.scalars(select(Offer)))


async def test_slack_not_for_us_asks_for_the_reason_in_a_modal(
    make_settings: Any, slack_emulator: Any
) -> None:
    settings = slack_settings(make_settings, slack_emulator, distribution={"waves": WAVES})
    partners = [
        PartnerSpec("P1", "C0001", "U0001", language="en"),
        PartnerSpec("P2", "C0002", "U0002", language="en"),
    ]
    async with slack_world(settings, slack_emulator, partners) as world:
        lead_id = await world.post_lead()
        teaser = await world.teaser("C0001")
        assert teaser.button("lead_decline")
        await world.driver.press_button("lead_decline", user="U0001", channel="C0001")
        modal = await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        assert modal.view["title"]["text"] == "Not for us" and "no capacity" in modal.all_text
        refused = await world.driver.submit_view(user="U0001", values={"reason_select": "other"})
        assert set(refused.json()["errors"]) == {"note"}  # "other" needs a few words
        assert (await _offers(world.bot.runtime, lead_id))["P1"] is OfferStatus.OPEN
        await world.driver.submit_view(user="U0001", values={"reason_select": "no_capacity"})
        await slack_emulator.wait_for_async(
            lambda: "Declined by Rep U0001" in slack_emulator.bot_messages("C0001")[0].all_text
        )
        await world.teaser("C0002")  # the next wave, at once
        await world.wait_staff(f"Lead #{lead_id}: Partner P1 declined (no capacity)")
        assert STAFF_CHANNEL
        told = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals(user="U0001"))
        assert "will not be offered to your company again" in told[0].all_text
        assert not slack_emulator.bot_messages("C0001")[0].button("lead_claim")

        # Every other reason, each on a lead of its own (other: with its few words).
        for n, reason in enumerate(r for r in DECLINE_REASONS if r != "no_capacity"):
            lead_n = await world.post_lead(**_prospect(n + 10))
            await world.bot.sender.flush()
            [offer] = [o for o in await _all_offers(world.bot.runtime) if o.lead_id == lead_n]
            await world.driver.press_button(
                "lead_decline", user="U0001", channel="C0001", value=str(offer.id)
            )
            await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
            values = {"reason_select": reason}
            if reason == "other":
                values["note_input"] = "we are moving out of Bavaria"
            answer = await world.driver.submit_view(user="U0001", values=values)
            assert answer.status == 200 and not (answer.json() or {}).get("errors")
            await world.teaser("C0002")

            async def declined(lead: int = lead_n) -> bool:  # decided after Slack's ack
                return (await _offers(world.bot.runtime, lead))["P1"] is OfferStatus.DECLINED

            await eventually(declined, what=f"lead {lead_n} declined with {reason}")
        async with world.bot.runtime.uow() as uow:
            events = await uow.session.scalars(
                select(LeadEvent).where(LeadEvent.kind == "declined")
            )
            assert sorted(e.detail["reason"] for e in events) == sorted(DECLINE_REASONS)


def _prospect(n: int) -> dict[str, str]:
    return {
        "external_id": f"crm-{n}",
        "company.domain": f"firma-{n}.example",
        "contact.email": f"a@firma-{n}.example",
    }


async def test_telegram_not_for_us_shows_the_reasons_then_declines(
    make_settings: Any, telegram_emulator: Any
) -> None:
    settings = telegram_settings(
        make_settings,
        telegram_emulator,
        distribution={"waves": WAVES},
        telegram={"group_per_minute": 6000, "group_burst": 100},  # flood limits: own tests
    )
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        driver, tg = world.driver, world.tg
        first = await world.post_lead()
        teaser = await world.teaser(world.groups[0])
        await driver.press(world.users[0], "decline:", chat_id=world.groups[0])
        await tg.wait_for_async(
            lambda: tg.message(world.groups[0], teaser.message_id).button("dr:")
        )
        await driver.press(
            world.users[0],
            f"dr:{teaser.button('claim:')['callback_data'].split(':')[1]}:too_far",
            chat_id=world.groups[0],
            message_id=teaser.message_id,
        )
        await tg.wait_for_async(
            lambda: "Rep 0" in tg.message(world.groups[0], teaser.message_id).plain_text
        )
        await world.teaser(world.groups[1])  # the next wave, at once
        assert (await _offers(world.runtime, first))["P0"] is OfferStatus.DECLINED

        # "other": a few words, typed as a reply in the group.
        second = await world.post_lead()
        other = await tg.wait_for_async(
            lambda: next(
                (
                    m
                    for m in reversed(tg.bot_messages(world.groups[0]))
                    if m.button("claim:") and m.message_id != teaser.message_id
                ),
                None,
            )
        )
        offer = other.button("claim:")["callback_data"].split(":")[1]
        await driver.press(
            world.users[0], "decline:", chat_id=world.groups[0], message_id=other.message_id
        )
        await tg.wait_for_async(lambda: tg.message(world.groups[0], other.message_id).button("dr:"))
        await driver.press(
            world.users[0],
            f"dr:{offer}:other",
            chat_id=world.groups[0],
            message_id=other.message_id,
        )
        question = await tg.wait_for_async(
            lambda: next(
                (
                    m
                    for m in tg.bot_messages(world.groups[0])
                    if (m.reply_markup or {}).get("force_reply")
                ),
                None,
            )
        )
        assert "Warum passt dieser Lead nicht?" in question.plain_text  # the rep speaks German
        # In the group the question names the rep, and only they get the reply field; a
        # remark of theirs that is no reply to it is not taken for the reason.
        assert question.reply_markup is not None and question.reply_markup["selective"] is True
        assert question.plain_text.startswith("Rep0: Warum passt")  # their Telegram name
        await driver.send_text(world.users[0], "Kaffee, jemand?", chat_id=world.groups[0])
        await world.settled()
        assert (await _offers(world.runtime, second))["P0"] is not OfferStatus.DECLINED
        await driver.send_text(
            world.users[0], "we stopped selling X200", chat_id=world.groups[0], reply_to=question
        )
        await tg.wait_for_async(
            lambda: "Rep 0" in tg.message(world.groups[0], other.message_id).plain_text
        )
        assert (await _offers(world.runtime, second))["P0"] is OfferStatus.DECLINED

        # The remaining reasons, one lead each.
        for reason in ("no_capacity", "not_our_segment", "product_not_offered"):
            lead_n = await world.post_lead()
            await world.settled()
            [offer_n] = [o for o in await _all_offers(world.runtime) if o.lead_id == lead_n]
            message = next(
                m for m in tg.bot_messages(world.groups[0]) if m.button(f"claim:{offer_n.id}")
            )
            await driver.press(
                world.users[0], "decline:", chat_id=world.groups[0], message_id=message.message_id
            )
            await tg.wait_for_async(
                lambda m=message: tg.message(world.groups[0], m.message_id).button("dr:")
            )
            await driver.press(
                world.users[0],
                f"dr:{offer_n.id}:{reason}",
                chat_id=world.groups[0],
                message_id=message.message_id,
            )
            await tg.wait_for_async(
                lambda m=message: "Rep 0" in tg.message(world.groups[0], m.message_id).plain_text
            )
        async with world.runtime.uow() as uow:
            events = await uow.session.scalars(
                select(LeadEvent).where(LeadEvent.kind == "declined")
            )
            assert sorted(e.detail["reason"] for e in events) == sorted(DECLINE_REASONS)


async def test_telegram_a_reason_typed_in_the_group_after_its_question_expired_is_answered(
    make_settings: Any, telegram_emulator: Any
) -> None:
    """The reason for "other", answered in the partner's group after its 15 minutes, got
    no answer at all (the private chat says it came too late): the rep believed the offer
    declined. Now the group is told, naming the rep, that nothing was declined."""
    settings = telegram_settings(make_settings, telegram_emulator, distribution={"waves": WAVES})
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with telegram_world(settings, telegram_emulator, partners=1, clock=clock) as world:
        driver, tg, group, user = world.driver, world.tg, world.groups[0], world.users[0]
        lead_id = await world.post_lead()
        teaser = await world.teaser(group)
        offer = teaser.button("claim:")["callback_data"].split(":")[1]
        await driver.press(user, "decline:", chat_id=group, message_id=teaser.message_id)
        await tg.wait_for_async(lambda: tg.message(group, teaser.message_id).button("dr:"))
        await driver.press(user, f"dr:{offer}:other", chat_id=group, message_id=teaser.message_id)
        question = await tg.wait_for_async(
            lambda: next(
                (m for m in tg.bot_messages(group) if (m.reply_markup or {}).get("force_reply")),
                None,
            )
        )
        clock.advance(minutes=16)
        await driver.send_text(user, "kein Bedarf", chat_id=group, reply_to=question)
        told = await tg.wait_for_async(
            lambda: next(
                (m for m in tg.bot_messages(group) if m.message_id > question.message_id), None
            )
        )
        assert told.plain_text.startswith("Rep0: Nichts abgelehnt"), told.plain_text
        assert "nach 15 Minuten abgelaufen" in told.plain_text
        await world.settled()
        assert (await _offers(world.runtime, lead_id))["P0"] is OfferStatus.OPEN


async def test_telegram_not_for_us_keeps_the_group_s_language_on_the_teaser(
    make_settings: Any, telegram_emulator: Any
) -> None:
    """The teaser in a German partner's group is German, and so are its buttons for every
    colleague — also after an English-speaking rep opened "Not for us" and went back (the
    buttons turned into "Claim" / "Not for us" for the whole group)."""
    settings = telegram_settings(make_settings, telegram_emulator, server={"api_token": "t"})
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", telegram_chat_id=-100, languages=["de"])
        await add_rep(
            uow,
            "P1",
            "james@p1.example",
            telegram_user_id=71,
            language="en",
            telegram_started_at=datetime.now(UTC),
        )
        await uow.commit()
    await runtime.close()
    tg = telegram_emulator
    tg.add_group(-100, "P1")
    tg.add_user(71, "James", language_code="en")
    tg.start_user(71)
    async with running_bot(settings) as bot:
        driver = tg.driver(webhook_url=f"{bot.url}/telegram/webhook")
        await submit_lead(bot.url, "t")
        teaser = await teaser_in(tg, -100)
        assert [b["text"] for b in teaser.buttons()] == ["✋ Übernehmen", "Nichts für uns"]

        await driver.press(71, "decline:", chat_id=-100, message_id=teaser.message_id)
        menu = await tg.wait_for_async(
            lambda: (
                tg.message(-100, teaser.message_id).button("dr:")
                and tg.message(-100, teaser.message_id)
            )
        )
        labels = [b["text"] for b in menu.buttons()]
        assert "zu weit entfernt" in labels and "‹ Zurück" in labels, labels

        await driver.press(71, "tb:", chat_id=-100, message_id=teaser.message_id)
        back = await tg.wait_for_async(
            lambda: (
                tg.message(-100, teaser.message_id).button("claim:")
                and tg.message(-100, teaser.message_id)
            )
        )
        assert [b["text"] for b in back.buttons()] == ["✋ Übernehmen", "Nichts für uns"]
        assert [a.text for a in tg.callback_answers(71)] == [None, None]  # nothing to say


async def test_email_not_for_us_link_and_its_form(make_settings: Any, smtp_server: Any) -> None:
    from tests.support.botserver import running_bot

    settings = email_settings(make_settings, smtp_server, distribution={"waves": WAVES})
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        page = await browser.open(teaser.link("Nichts für uns"))
        assert page.status == 200 and page.has_form
        assert (await _offers(bot.runtime, lead_id))["PM1"] is OfferStatus.OPEN  # GET: nothing
        missing = await browser.submit(page, rep="Anna Albers", reason="other")
        assert missing.status == 422 and "bitte kurz begründen" in missing.text
        done = await browser.submit(page, rep="Anna Albers", reason="product_not_offered")
        assert done.status == 200 and "nicht wieder angeboten" in done.text
        assert (await _offers(bot.runtime, lead_id))["PM1"] is OfferStatus.DECLINED
        async with bot.runtime.uow() as uow:
            event = await uow.session.scalar(select(LeadEvent).where(LeadEvent.kind == "declined"))
            assert event is not None and event.actor_name == "Anna Albers"
            assert event.channel is Channel.EMAIL
        await browser.close()
    assert ANNA


async def test_telegram_asks_again_when_the_few_words_for_other_are_too_many(
    make_settings: Any, telegram_emulator: Any
) -> None:
    """ "Other" with a note over the limit (500 characters) is asked again with the limit —
    not dropped, leaving the rep's next answer to "please use the buttons"."""
    settings = telegram_settings(make_settings, telegram_emulator, distribution={"waves": WAVES})
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        driver, tg, group, user = world.driver, world.tg, world.groups[0], world.users[0]
        lead_id = await world.post_lead()
        teaser = await world.teaser(group)
        offer = teaser.button("claim:")["callback_data"].split(":")[1]
        await driver.press(user, "decline:", chat_id=group, message_id=teaser.message_id)
        await tg.wait_for_async(lambda: tg.message(group, teaser.message_id).button("dr:"))
        await driver.press(user, f"dr:{offer}:other", chat_id=group, message_id=teaser.message_id)

        def questions() -> list[Any]:
            return [m for m in tg.bot_messages(group) if (m.reply_markup or {}).get("force_reply")]

        await tg.wait_for_async(lambda: len(questions()) == 1)
        await driver.send_text(user, "zu weit weg " * 50, chat_id=group, reply_to=questions()[0])
        await tg.wait_for_async(lambda: len(questions()) == 2)
        again = questions()[-1]
        assert "höchstens 500 Zeichen" in again.plain_text
        assert "Warum passt dieser Lead nicht?" in again.plain_text
        assert (await _offers(world.runtime, lead_id))["P0"] is OfferStatus.OPEN

        await driver.send_text(user, "zu weit weg", chat_id=group, reply_to=again)
        await tg.wait_for_async(lambda: "Rep 0" in tg.message(group, teaser.message_id).plain_text)
        assert (await _offers(world.runtime, lead_id))["P0"] is OfferStatus.DECLINED
