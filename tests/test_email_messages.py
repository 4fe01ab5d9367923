"""What the SMTP server receives: multipart text + HTML, escaped, threaded — and failures.

A lead whose company is called ``<script>…`` must reach the rep as text in both parts,
never as markup in the HTML part, and a line break in it must not become a mail header.
A refused recipient (550) fails the notice for good; a "try later" (451) is retried until
the server takes it.
"""

from __future__ import annotations

import asyncio
import base64
import logging

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.models import LeadPersonalData, OutboxMessage, OutboxStatus
from bot.runtime import Runtime
from tests.emulators.smtp import SmtpServer
from tests.support.botserver import running_bot
from tests.support.email_world import FROM, Browser, email_section
from tests.support.factories import add_partner, add_rep
from tests.test_email_channel import ANNA, INBOX, email_settings, mail_only_partner, post_lead

IDN_ASCII = "xn--mller-shne-kcb9d.example"  # müller-söhne.example
EVIL = "<script>alert(1)</script> & Söhne\r\nBcc: spy@evil.example"


async def test_card_is_multipart_and_escaped(make_settings, smtp_server: SmtpServer) -> None:
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(
            bot.url,
            **{
                "company.name": EVIL.split("\r")[0],
                "contact.name": '"><img src=x onerror=alert(2)>',
                "interest.message": "<a href='javascript:alert(3)'>klick</a>",
            },
        )
        # The API refuses line breaks in a name; a value stored otherwise (older data)
        # must still not reach a mail header.
        async with bot.runtime.uow() as uow:
            personal = await uow.session.get(LeadPersonalData, lead_id)
            assert personal is not None
            personal.company_name = EVIL
            await uow.commit()
        teaser = await smtp_server.wait_for_mail(INBOX)
        assert "script" not in teaser.subject + teaser.text + teaser.html
        page = await browser.open(teaser.links()[0])
        assert "script" not in page.html
        assert (await browser.submit(page, rep="Anna Albers")).status == 200
        card = await smtp_server.wait_for_mail(ANNA)

        message = card.message
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
        assert message["From"].addresses[0].addr_spec == FROM
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Bcc"] is None and card.recipients == [ANNA]
        assert "\n" not in card.subject and card.subject.startswith(f"Lead #{lead_id}: <script>")

        html = card.html
        for markup in ("<script>", "<img", "<a href='javascript"):
            assert markup not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Söhne" in html
        assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
        assert "&lt;a href=&#x27;javascript:alert(3)&#x27;&gt;klick&lt;/a&gt;" in html
        assert "<script>alert(1)</script> & Söhne" in card.text  # plain text stays readable
        await browser.close()


async def test_an_encoded_word_in_a_company_name_stays_text(
    make_settings, smtp_server: SmtpServer
) -> None:
    """The API refuses line breaks in a name, but ``=?utf-8?b?…?=`` (an RFC 2047 encoded
    word) hides them in printable text. In the card's subject it must stay that text: not
    decoded into a line break that ends the subject and adds a Reply-To of the sender's
    choosing to a mail from the manufacturer's address."""
    hidden = base64.b64encode(b"x\r\nReply-To: spy@evil.example\r\nX-Injected: yes").decode()
    name = f"Evil GmbH =?utf-8?b?{hidden}?="
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url, **{"company.name": name})
        teaser = await smtp_server.wait_for_mail(INBOX)
        page = await browser.open(teaser.links()[0])
        assert (await browser.submit(page, rep="Anna Albers")).status == 200
        card = await smtp_server.wait_for_mail(ANNA)

        assert card.message["Reply-To"] is None and card.message["X-Injected"] is None
        assert "\n" not in card.subject and "spy@evil.example" not in card.subject
        assert card.subject.startswith(f"Lead #{lead_id}: Evil GmbH ")
        assert hidden in card.subject  # shown as the text it is
        await browser.close()


async def test_an_inbox_on_an_umlaut_domain_gets_its_mail(
    make_settings, smtp_server: SmtpServer
) -> None:
    """``leads@müller-söhne.example`` — an internationalized domain, stored as the partners
    CSV gives it — goes out with the domain's ASCII form (``xn--…``), which every SMTP
    server takes; the test's server, like many, does not offer SMTPUTF8. So do the card
    and its links for a rep on that domain."""
    settings = email_settings(make_settings, smtp_server)
    setup = Runtime.create(settings)
    async with setup.uow() as uow:
        await add_partner(uow, "PU", name="Müller & Söhne", email="leads@müller-söhne.example")
        await add_rep(uow, "PU", "jürgen@müller-söhne.example", name="Jürgen")
        await add_rep(uow, "PU", "anna@müller-söhne.example", name="Anna")
        await uow.commit()
    await setup.close()
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(f"leads@{IDN_ASCII}")
        assert teaser.to == f"leads@{IDN_ASCII}"
        page = await browser.open(teaser.links()[0])
        assert (await browser.submit(page, rep="Anna")).status == 200
        card = await smtp_server.wait_for_mail(f"anna@{IDN_ASCII}")
        done = await browser.submit(await browser.open(card.link("Kontaktiert")))
        assert done.status == 200 and f"Lead #{lead_id}: kontaktiert." in done.text
        await browser.close()


async def outbox_rows(runtime: Runtime, address: str) -> list[OutboxMessage]:
    async with runtime.uow() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.address == address)
        )
        return list(rows.all())


async def wait_for_row(runtime: Runtime, address: str, check, timeout: float = 10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        rows = [r for r in await outbox_rows(runtime, address) if check(r)]
        if rows:
            return rows[0]
        await asyncio.sleep(0.02)
    raise TimeoutError(
        f"no matching outbox row for {address}: {await outbox_rows(runtime, address)}"
    )


async def test_refused_mailbox_fails_and_try_later_is_retried(
    make_settings, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    smtp_server.refuse[INBOX] = "451 4.7.1 Greylisted, please try again later"
    async with running_bot(settings, clock=clock) as bot:
        await post_lead(bot.url)
        waiting = await wait_for_row(bot.runtime, INBOX, lambda r: r.attempts >= 1)
        assert waiting.status is OutboxStatus.PENDING and "451" in (waiting.last_error or "")
        assert smtp_server.mails == []

        del smtp_server.refuse[INBOX]
        clock.advance(minutes=5)  # past the backoff
        await bot.runtime.wake_outbox()
        teaser = await smtp_server.wait_for_mail(INBOX)
        assert teaser.links()
        sent = await wait_for_row(bot.runtime, INBOX, lambda r: r.status is OutboxStatus.SENT)
        assert sent.attempts == 2


async def test_a_sender_on_an_umlaut_domain_sends(make_settings, smtp_server: SmtpServer) -> None:
    """``[email] from_address = "leads@müller-söhne.example"`` is a valid setting; every mail
    failed to be written (a non-ASCII From and Message-ID) and was retried for ever. The
    sender goes out in the domain's ASCII form, like the recipients."""
    settings = email_settings(
        make_settings,
        smtp_server,
        email=email_section(smtp_server, from_address="leads@müller-söhne.example"),
    )
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        assert teaser.message["From"].addresses[0].addr_spec == f"leads@{IDN_ASCII}"
        assert teaser.sender == f"leads@{IDN_ASCII}"
        assert str(teaser.message["Message-ID"]).endswith(f"@{IDN_ASCII}>")


async def test_an_address_the_server_cannot_take_fails_for_good_naming_why(
    make_settings, smtp_server: SmtpServer
) -> None:
    """``ümit@…``: letters beyond ASCII before the ``@`` need SMTPUTF8, which this server
    does not offer. Retrying cannot change that: the notice fails at once (staff are told)
    and its error says what to fix (not the address: errors reach the log), like a mailbox
    the server refuses."""
    settings = email_settings(make_settings, smtp_server)
    setup = Runtime.create(settings)
    async with setup.uow() as uow:
        await add_partner(uow, "PU", name="Müller & Söhne", email=INBOX)
        await add_rep(uow, "PU", f"ümit@{IDN_ASCII}", name="Ümit")
        await uow.commit()
    await setup.close()
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        page = await browser.open(teaser.links()[0])
        assert (await browser.submit(page, rep="Ümit")).status == 200
        failed = await wait_for_row(
            bot.runtime, f"ümit@{IDN_ASCII}", lambda r: r.status is OutboxStatus.FAILED
        )
        assert failed.attempts == 1
        assert "SMTPUTF8" in (failed.last_error or "")
        await browser.close()


async def test_unknown_mailbox_fails_for_good(
    make_settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The refusal quotes the address: staff see it on the row; the log shows only its
    domain (the log holds no personal data — it showed ``<leads@…>`` whole)."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    local, domain = INBOX.split("@")
    smtp_server.refuse[INBOX] = f"550 5.1.1 <{INBOX}>: Recipient address rejected"
    caplog.set_level(logging.INFO, logger="bot.delivery")
    async with running_bot(settings) as bot:
        await post_lead(bot.url)
        failed = await wait_for_row(bot.runtime, INBOX, lambda r: r.status is OutboxStatus.FAILED)
        assert failed.attempts == 1 and "550" in (failed.last_error or "")
        assert INBOX in (failed.last_error or "")  # for staff: whose address failed
        assert smtp_server.mails == []
    logged = [r.getMessage() for r in caplog.records if "failed for good" in r.getMessage()]
    assert logged and all(f"<***@{domain}>" in line for line in logged), logged
    assert not any(f"{local}@" in r.getMessage() for r in caplog.records)
