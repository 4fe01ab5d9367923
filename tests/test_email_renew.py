"""An expired status link offers fresh links by mail — to the lead's owner, once an hour.

A mail-only rep who reported nothing for ``link_days`` (14) has no working link left. Its
page says the link has expired and has one button; only pressing it (a ``POST``) queues a
mail with fresh links, at most one per rep and lead an hour, and the page says the same
either way without the address. A lead a colleague took over gets "no longer yours" and
nothing. Everything over real HTTP and real SMTP, the days passed with the manual clock.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import ManualClock
from bot.models import LeadStatus, OutboxMessage
from bot.runtime import Runtime
from tests.emulators.smtp import SmtpServer, token_of
from tests.emulators.telegram import TelegramEmulator
from tests.support.botserver import running_bot
from tests.support.email_world import PUBLIC_URL, Browser
from tests.support.factories import add_rep
from tests.support.telegram_world import telegram_world
from tests.test_email_channel import (
    ANNA,
    claimed_by_mail,
    email_settings,
    lead_of,
    mail_only_partner,
)
from tests.test_email_fallback import settings_with_email
from tests.test_email_links import flip_signature, url

# No claim deadline within the weeks the clock moves: the lead stays the rep's.
PATIENT = {"waves": [{"size": 0, "minutes": 60}], "claim_sla_hours": 24 * 60}
SENT = "sind per E-Mail zu Ihnen unterwegs"


async def fresh_link_rows(runtime: Runtime) -> list[OutboxMessage]:
    """The fresh-links notices queued so far (what would become mails)."""
    async with runtime.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    return [r for r in rows if r.payload.get("event") == "fresh_links"]


def fresh_mails(smtp: SmtpServer, address: str) -> list[str]:
    return [m.subject for m in smtp.to(address) if m.subject.startswith("Neue Links")]


async def test_an_expired_status_link_sends_fresh_links_once_an_hour_on_post_only(
    make_settings, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    settings = email_settings(make_settings, smtp_server, distribution=PATIENT)
    await mail_only_partner(settings)
    async with running_bot(settings, clock=clock) as bot:
        browser = Browser(bot.url)
        lead_id, card = await claimed_by_mail(bot.url, browser, smtp_server)
        old = card.link("Kontaktiert")
        clock.advance(days=15)

        # Opening it (twice, and as a scanner's HEAD) shows the button and sends nothing.
        page = await browser.open(old)
        await browser.open(old)
        assert (await browser.http.head(old.removeprefix(PUBLIC_URL))).status_code == 410
        assert page.status == 410 and "Dieser Link ist abgelaufen." in page.text
        assert page.has_form and page.form.fields.get("renew") == "1"
        assert page.form.fields["t"] == token_of(old)  # the same token, posted back
        assert "Neue Links per E-Mail senden" in page.text
        assert await fresh_link_rows(bot.runtime) == []
        # A garbled or forged token still gets the plain refusal, with no button.
        forged = await browser.open(url(flip_signature(token_of(old))))
        assert forged.status == 403 and not forged.has_form
        refused = await browser.post({"t": flip_signature(token_of(old)), "renew": "1"})
        assert refused.status == 403 and await fresh_link_rows(bot.runtime) == []

        sent = await browser.submit(page)
        assert sent.status == 200 and SENT in sent.text, sent.text
        assert ANNA not in sent.html and "anna" not in sent.html.lower()
        mail = await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if m.subject.startswith("Neue Links")]
        )
        assert mail[0].subject == f"Neue Links: Lead #{lead_id}"
        fresh = mail[0].link("Kontaktiert")
        assert fresh != old

        # Within the hour: the same page, nothing more queued, no second mail.
        again = await browser.submit(page)
        assert again.status == 200 and again.text == sent.text
        assert len(await fresh_link_rows(bot.runtime)) == 1

        # The fresh link works: it acts.
        done = await browser.submit(await browser.open(fresh))
        assert done.status == 200, done.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CONTACTED
        await smtp_server.wait_for(  # the status mail, sent after the fresh links
            lambda: [m for m in smtp_server.to(ANNA) if m.subject.endswith(": kontaktiert")]
        )
        assert fresh_mails(smtp_server, ANNA) == [f"Neue Links: Lead #{lead_id}"]
        await browser.close()


async def test_an_expired_link_of_a_lead_a_colleague_took_over_says_so_and_sends_nothing(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    """Anna claimed by mail; Rep 0 took the lead over on Telegram. Weeks later Anna opens
    her old link: it is not hers any more — no button, and a posted request sends nothing."""
    settings = settings_with_email(
        make_settings, telegram_emulator, smtp_server, distribution=PATIENT
    )
    async with telegram_world(
        settings, telegram_emulator, partners=1, inboxes=True, clock=clock
    ) as world:
        async with world.runtime.uow() as uow:
            await add_rep(uow, "P0", ANNA, name="Anna Albers", language="de")
            await uow.commit()
        browser = Browser(world.bot.url)
        lead_id = await world.post_lead()
        teaser = await smtp_server.wait_for_mail("leads@p0.example")
        claimed = await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
        assert claimed.status == 200, claimed.text
        card = await smtp_server.wait_for_mail(ANNA)
        await world.driver.command(world.users[0], "takeover", str(lead_id))
        await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if "aus Ihrem Team übernommen" in m.text]
        )
        clock.advance(days=15)

        page = await browser.open(card.link("Kontaktiert"))
        assert page.status == 409 and not page.has_form
        assert f"Lead #{lead_id} gehört nicht mehr Ihnen" in page.text
        posted = await browser.post({"t": token_of(card.link("Kontaktiert")), "renew": "1"})
        assert posted.status == 409 and "gehört nicht mehr Ihnen" in posted.text
        assert await fresh_link_rows(world.runtime) == []
        assert fresh_mails(smtp_server, ANNA) == []
        assert (await world.lead(lead_id)).owner_rep_id == world.rep_ids[0]
        await browser.close()
