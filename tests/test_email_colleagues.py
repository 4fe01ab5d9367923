"""A mail-only rep and a colleague on Telegram at the same partner: what the mails and the
shared inbox's link pages say when one of them acts in the chat.

The partner P0 has a Telegram group and a lead inbox; Rep 0 is on Telegram, Anna Albers
is reached only by e-mail (``tests/test_email_fallback.py``'s settings).
"""

from __future__ import annotations

from tests.emulators.smtp import SmtpServer
from tests.emulators.telegram import TelegramEmulator
from tests.support.email_world import Browser
from tests.support.factories import add_rep
from tests.support.telegram_world import World, telegram_world
from tests.test_email_fallback import settings_with_email

INBOX = "leads@p0.example"
ANNA = "anna@p0.example"


async def _anna(world: World) -> None:
    """Anna Albers joins P0, with no chat account: e-mail reaches her."""
    async with world.runtime.uow() as uow:
        await add_rep(uow, "P0", ANNA, name="Anna Albers", language="de")
        await uow.commit()


async def _claimed_by_anna(world: World, smtp_server: SmtpServer, browser: Browser) -> int:
    """A new lead, claimed by Anna through the shared inbox's teaser; its id, once her card
    mail is in."""
    lead_id = await world.post_lead()
    teaser = await smtp_server.wait_for_mail(INBOX)
    claimed = await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
    assert claimed.status == 200, claimed.text
    card = await smtp_server.wait_for_mail(ANNA)
    assert "Brauerei" in card.subject
    return lead_id


async def test_the_mail_after_a_takeover_says_who_took_the_lead_over(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    """Anna claimed by mail; Rep 0 takes the lead over on Telegram. Her mail had the
    lead's status as its subject ("Lead #1: übernommen") — as if she had a new step to
    read. Its subject now says what happened and who has the lead."""
    settings = settings_with_email(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(settings, telegram_emulator, partners=1, inboxes=True) as world:
        await _anna(world)
        browser = Browser(world.bot.url)
        lead_id = await _claimed_by_anna(world, smtp_server, browser)

        await world.driver.command(world.users[0], "takeover", str(lead_id))
        taken = await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if "aus Ihrem Team übernommen" in m.text]
        )
        assert taken[0].subject == f"Lead #{lead_id}: von Rep 0 aus Ihrem Team übernommen"
        assert (await world.lead(lead_id)).owner_rep_id == world.rep_ids[0]
        await browser.close()


async def test_the_status_mail_of_a_step_a_colleague_reported_says_who(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    """Anna claimed by mail; Rep 0 reports first contact for her lead on Telegram. Her
    status mail said "Status: kontaktiert" as if she had reported it herself."""
    settings = settings_with_email(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(settings, telegram_emulator, partners=1, inboxes=True) as world:
        await _anna(world)
        browser = Browser(world.bot.url)
        lead_id = await _claimed_by_anna(world, smtp_server, browser)

        await world.driver.command(world.users[0], "contacted", str(lead_id))
        told = await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if "Geändert von" in m.text]
        )
        assert "Geändert von Rep 0 aus Ihrem Team." in told[0].text, told[0].text
        assert "Geändert von Rep 0 aus Ihrem Team." in told[0].html, told[0].html
        await browser.close()


async def test_the_inbox_link_of_a_lead_a_colleague_claimed_in_the_chat_names_them(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    """Rep 0 claims in the partner's Telegram group; whoever opens the teaser's link in the
    shared inbox was told "Lead #1 gehört bereits Ihnen" — but the inbox is everyone's,
    and Anna, who opened it, has nothing. The page names who at the partner has it."""
    settings = settings_with_email(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(settings, telegram_emulator, partners=1, inboxes=True) as world:
        await _anna(world)
        browser = Browser(world.bot.url)
        lead_id = await world.post_lead()
        teaser = await smtp_server.wait_for_mail(INBOX)
        await world.teaser(world.groups[0])
        await world.driver.press(world.users[0], "claim:", chat_id=world.groups[0])
        await world.private(world.users[0], lambda m: bool(m.button(f"st:{lead_id}:")))

        page = await browser.open(teaser.links()[0])
        assert page.status == 409 and not page.has_form
        assert f"Rep 0 aus Ihrem Team hat Lead #{lead_id} bereits übernommen." in page.text
        assert "gehört bereits Ihnen" not in page.text
        await browser.close()
