"""A rep's note is text: a control character in it is refused the same way on every
platform — a Slack modal, a Telegram answer, the e-mail form — in the rep's language,
naming the character, and nothing changes (the core's ``check_note``). Slack's modal showed
the core's English words under the note field to a German rep. Line breaks and tabs are
fine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.models import LeadEvent, LeadStatus
from tests.emulators.smtp import SmtpServer
from tests.support.botserver import running_bot
from tests.support.email_world import Browser
from tests.support.slack_world import PartnerSpec, another_company, slack_settings, slack_world
from tests.support.telegram_world import telegram_settings, telegram_world
from tests.support.world import lead_of
from tests.test_email_channel import claimed_by_mail, email_settings, mail_only_partner


async def _lost_note(runtime: Any, lead_id: int) -> str | None:
    async with runtime.uow() as uow:
        event = await uow.session.scalar(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.to_status == "lost")
        )
    return None if event is None else event.detail.get("note")


async def test_slack_modals_refuse_a_note_with_a_control_character(
    make_settings: Any, slack_emulator: Any
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    spec = [
        PartnerSpec("P01", "C0001", "U0001", language="de"),
        PartnerSpec("P02", "C0002", "U0002", language="de"),
    ]
    async with slack_world(settings, slack_emulator, spec) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        dm = slack_emulator.dm_channel("U0001")
        await slack_emulator.wait_for_async(
            lambda: any(
                f"lost:{lead_id}" in m.menu_options("lead_more")
                for m in slack_emulator.dm_messages("U0001")
            )
        )
        await world.driver.press_button(
            "lead_more", user="U0001", channel=dm, option=f"lost:{lead_id}"
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        refused = await world.driver.submit_view(
            user="U0001", values={"reason_select": "price", "note_input": "zu teuer\x00"}
        )
        errors = refused.json()["errors"]
        assert set(errors) == {"note"}
        assert "Steuerzeichen (U+0000)" in errors["note"], errors
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED

        fine = await world.driver.submit_view(
            user="U0001", values={"reason_select": "price", "note_input": "zu teuer\n\tleider"}
        )
        assert not (fine.json() or {}).get("errors")
        await world.wait_staff(f"Lead #{lead_id}")
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.LOST
        assert await _lost_note(world.bot.runtime, lead_id) == "zu teuer\n\tleider"

        # "Not for us" with reason "other": its few words are a note too.
        second = await world.post_lead(**another_company(2))
        await world.bot.sender.flush()
        teaser = next(
            m for m in reversed(slack_emulator.bot_messages("C0001")) if m.button("lead_claim")
        )
        await world.driver.press_button(
            "lead_decline", user="U0001", channel="C0001", message_ts=teaser.ts
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        refused = await world.driver.submit_view(
            user="U0001", values={"reason_select": "other", "note_input": "\x1b[31mrot"}
        )
        assert "Steuerzeichen (U+001B)" in refused.json()["errors"]["note"]
        assert (await world.lead(second)).status is LeadStatus.OFFERED


async def test_telegram_refuses_a_typed_note_with_a_control_character(
    make_settings: Any, telegram_emulator: Any
) -> None:
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver, user = world.driver, world.users[0]
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        await driver.press(user, "claim:", chat_id=world.groups[0])
        card = await world.private(user, lambda m: bool(m.button(f"st:{lead_id}:")))
        await world.settled()
        await driver.press(user, f"st:{lead_id}:lost", message_id=card.message_id)
        await world.tg.wait_for_async(
            lambda: world.tg.message(user, card.message_id).button(f"lost:{lead_id}:")
        )
        await driver.press(user, f"lost:{lead_id}:price", message_id=card.message_id)
        prompt = await world.private(user, lambda m: bool(m.button(f"skip:{lead_id}")))
        await driver.send_text(user, "zu teuer\x07")
        refused = await world.private(user, lambda m: m.message_id > prompt.message_id)
        assert "Steuerzeichen (U+0007)" in refused.plain_text
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def test_the_email_form_refuses_a_note_with_a_control_character(
    make_settings: Any, smtp_server: SmtpServer
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id, card = await claimed_by_mail(bot.url, browser, smtp_server)
        lost = await browser.open(card.link("Verloren"))
        refused = await browser.submit(lost, reason="price", note="zu\x0bteuer")
        assert refused.status == 422 and "Steuerzeichen (U+000B)" in refused.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED
        done = await browser.submit(refused, reason="price", note="zu teuer")
        assert done.status == 200
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.LOST
        await browser.close()
