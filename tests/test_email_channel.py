"""A partner reachable only by e-mail, end to end over real SMTP and real HTTP.

The bot (``running_bot``: API, sender, scheduler, ``/email/act``) sends through an aiosmtpd
server started by the test. The partner's lead inbox gets an anonymized teaser with a Claim
link; a rep opens it (nothing changes), picks their name and claims; the card and the
content pack arrive by e-mail; "won 12.500" is reported through the card's link and its
form. Links are single use.
"""

from __future__ import annotations

from decimal import Decimal

import httpx

from bot.clock import ManualClock
from bot.config import Settings
from bot.models import LeadStatus
from bot.runtime import Runtime
from tests.emulators.smtp import Mail, SmtpServer
from tests.support.botserver import running_bot
from tests.support.email_world import PUBLIC_URL, Browser, email_section
from tests.support.factories import add_partner, add_rep
from tests.support.slack_world import PRODUCTS
from tests.support.world import lead_of, submit_lead

API_TOKEN = "email-token"
INBOX = "leads@mailonly.example"
ANNA = "anna@mailonly.example"
BERT = "bert@mailonly.example"


def email_settings(make_settings, smtp: SmtpServer, **sections: object) -> Settings:
    base: dict[str, object] = {
        "email": email_section(smtp),
        "console": {"enabled": False},
        "server": {"api_token": API_TOKEN, "public_url": PUBLIC_URL},
        "outbox": {"poll_seconds": 0.1, "max_backoff_seconds": 30},
        "distribution": {"waves": [{"size": 0, "minutes": 60}]},
        "products": PRODUCTS,
    }
    base.update(sections)
    return make_settings(**base)


async def mail_only_partner(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "PM1", name="Mail-Only Systemhaus", email=INBOX)
        await add_rep(uow, "PM1", ANNA, name="Anna Albers")
        await add_rep(uow, "PM1", BERT, name="Bert Brandt", language="en")
        await uow.commit()
    await runtime.close()


async def post_lead(bot_url: str, **overrides: object) -> int:
    return await submit_lead(bot_url, API_TOKEN, **overrides)


async def claimed_by_mail(bot_url: str, browser: Browser, smtp: SmtpServer) -> tuple[int, Mail]:
    """A lead posted and claimed by Anna Albers through its teaser's link: the lead's id
    and the card mail she got."""
    lead_id = await post_lead(bot_url)
    teaser = await smtp.wait_for_mail(INBOX)
    claimed = await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
    assert claimed.status == 200, claimed.text
    return lead_id, await smtp.wait_for_mail(ANNA)


async def test_mail_only_partner_claims_gets_the_card_and_reports_won(
    make_settings, smtp_server: SmtpServer
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)

        teaser = await smtp_server.wait_for_mail(INBOX)
        assert teaser.message.get_content_type() == "multipart/alternative"
        assert teaser.subject == "Neuer Lead: Lebensmittel, DE-BY, X200"
        for part in (teaser.subject, teaser.text, teaser.html):
            for secret in ("Brauerei", "Huber", "Hopfenweg", "80331", "brauerei-huber", "1234567"):
                assert secret not in part
        claim_link, decline_link = teaser.links()  # Claim, and "Not for us"
        assert teaser.html.count(claim_link.replace("&", "&amp;")) == 1
        assert teaser.link("Nichts für uns") == decline_link

        # Opening the link (as a mail scanner would, twice) changes nothing.
        page = await browser.open(claim_link)
        await browser.open(claim_link)
        assert page.status == 200 and page.has_form
        assert [name for _, name in page.form.radios] == ["Anna Albers", "Bert Brandt"]
        assert "Brauerei" not in page.html and "Mail-Only Systemhaus" in page.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.OFFERED

        done = await browser.submit(page, rep="Bert Brandt")
        assert done.status == 200
        assert f"Lead #{lead_id} is yours! The details are on their way by e-mail." in done.text
        lead = await lead_of(bot.runtime, lead_id)
        assert lead.status is LeadStatus.CLAIMED and lead.claimed_via == "email"

        card = await smtp_server.wait_for_mail(BERT)
        assert card.subject == f"Lead #{lead_id}: Brauerei Huber GmbH"
        assert "Maria Huber" in card.text and "+49 89 1234567" in card.html
        pack = await smtp_server.wait_for_mail(BERT, 2)
        assert pack.subject == f"Sales kit for lead #{lead_id}" and "X200" in pack.text
        assert smtp_server.to(ANNA) == []  # only the claimer gets the details
        assert len(smtp_server.to(INBOX)) == 1  # "taken" cannot edit a mail: nothing more

        won = await browser.open(card.link("Won"))
        assert won.status == 200 and "revenue" in won.form.fields
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED
        result = await browser.submit(won, revenue="12.500")
        assert result.status == 200, result.text
        assert f"Lead #{lead_id}: won." in result.text
        lead = await lead_of(bot.runtime, lead_id)
        assert lead.status is LeadStatus.WON and lead.revenue_eur == Decimal("12500")

        status = await smtp_server.wait_for_mail(BERT, 3)
        assert status.subject == f"Lead #{lead_id}: won"
        assert status.message["In-Reply-To"] == card.message["Message-ID"]
        assert "12,500 €" in status.text and status.links() == []

        # Every link is single use: the claim link and the won link are spent.
        again = await browser.open(claim_link)
        assert again.status == 410 and "Dieser Link wurde bereits benutzt." in again.text
        spent = await browser.submit(won, revenue="99")
        assert spent.status == 410
        assert (await lead_of(bot.runtime, lead_id)).revenue_eur == Decimal("12500")
        await browser.close()


async def test_a_mistake_in_the_form_keeps_the_link(make_settings, smtp_server: SmtpServer) -> None:
    """A bad revenue or a missing reason shows the form again (422); the link stays usable."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        page = await browser.open(teaser.links()[0])
        nobody = await browser.submit(page)
        assert nobody.status == 422 and "Bitte wählen Sie aus, wer Sie sind." in nobody.text
        assert (await browser.submit(nobody, rep="Anna Albers")).status == 200
        card = await smtp_server.wait_for_mail(ANNA)
        assert "Anna Albers" in card.text

        won = await browser.open(card.link("Gewonnen"))
        wrong = await browser.submit(won, revenue="zwölf")
        assert wrong.status == 422 and "Bitte einen Betrag in Euro angeben" in wrong.text
        assert wrong.form.fields["revenue"] == "zwölf"  # what was typed is kept
        lost = await browser.open(card.link("Verloren"))
        assert lost.form.options["reason"][1:] == [
            "price",
            "competitor",
            "no_budget",
            "no_need",
            "timing",
            "unreachable",
            "other",
        ]
        no_reason = await browser.submit(lost, reason="")
        assert no_reason.status == 422 and "Bitte einen Grund wählen." in no_reason.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED

        result = await browser.submit(lost, reason="competitor", note="<b>zu teuer</b>")
        assert result.status == 200
        lead = await lead_of(bot.runtime, lead_id)
        assert lead.status is LeadStatus.LOST and lead.lost_reason == "competitor"
        # The won link of the same card is still unused, but the lead moved on.
        late = await browser.open(card.link("Gewonnen"))
        assert late.status == 409 and f"Lead #{lead_id} ist verloren" in late.text
        await browser.close()


async def test_follow_up_and_hand_back_through_links(
    make_settings, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings, clock=clock) as bot:  # today is 2026-03-02
        browser = Browser(bot.url, accept_language="en")
        lead_id, card = await claimed_by_mail(bot.url, browser, smtp_server)

        follow = await browser.open(card.link("Wiedervorlage"))
        past = await browser.submit(follow, date="2020-01-01")
        assert past.status == 422 and "Das Datum liegt in der Vergangenheit." in past.text
        done = await browser.submit(follow, date="15.4.")
        assert done.status == 200 and "Wiedervorlage am 15.04.2026" in done.text
        assert str((await lead_of(bot.runtime, lead_id)).follow_up_on) == "2026-04-15"

        back = await browser.open(card.link("Zurückgeben"))
        options = back.form.options["reason"][1:]
        assert options == [
            "no_capacity",
            "wrong_region",
            "wrong_product",
            "not_our_segment",
            "conflict",
            "other",
        ]
        returned = await browser.submit(back, reason="no_capacity")
        assert returned.status == 200 and "zurückgegeben" in returned.text
        lead = await lead_of(bot.runtime, lead_id)
        assert lead.owner_partner_id is None
        note = await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if "zurückgegeben" in m.text]
        )
        assert "Maria Huber" not in note[0].text and note[0].links() == []
        await browser.close()


async def test_a_note_with_a_control_character_is_refused_and_keeps_the_link(
    make_settings, smtp_server: SmtpServer
) -> None:
    """The notes of *Lost* and *Not for us* went to the database as typed: a NUL (which a
    script, not a browser, sends) made PostgreSQL refuse the statement — a 500 page and a
    traceback — and SQLite stored it. Like every other text leadbot takes, a note with a
    control character is refused by name now: the form again (422), nothing changed, the
    link still usable; line breaks and tabs stay fine."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url, accept_language="en")
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        decline = await browser.open(teaser.links()[1])
        refused = await browser.submit(decline, rep="Anna Albers", reason="other", note="a\x00b")
        assert refused.status == 422, refused.text
        assert "U+0000" in refused.text
        claimed = await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
        assert claimed.status == 200, claimed.text
        card = await smtp_server.wait_for_mail(ANNA)

        lost = await browser.open(card.link("Verloren"))  # Anna reads German
        for note in ("too expensive\x00", "\x1b[2Jtoo expensive"):
            page = await browser.submit(lost, reason="price", note=note)
            assert page.status == 422, page.text
            assert "U+0000" in page.text or "U+001B" in page.text
            assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED
        # A note over the limit (a script; the page's field stops at 2,000) is refused, not
        # cut to its first 2,000 characters without a word.
        page = await browser.submit(lost, reason="price", note="x" * 2001)
        assert page.status == 422 and "2000" in page.text, page.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED
        done = await browser.submit(lost, reason="price", note="too expensive,\n\tby far")
        assert done.status == 200, done.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.LOST
        await browser.close()


async def test_a_note_as_long_as_its_field_allows_is_taken(
    make_settings, smtp_server: SmtpServer
) -> None:
    """The note field stops at 2,000 characters, counting a line break as one; a browser
    sends each line break as CR LF. A note of 1,999 (four line breaks) was refused as
    longer than 2,000 — the page refusing what it let the rep type. Line breaks arrive as
    the chats send them, LF."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id, card = await claimed_by_mail(bot.url, browser, smtp_server)

        lines = ["Ä" * 399] * 5  # 1,995 letters and 4 line breaks: 1,999 in the field
        lost = await browser.open(card.link("Verloren"))
        done = await browser.submit(lost, reason="price", note="\r\n".join(lines))
        assert done.status == 200, done.text[:200]
        async with httpx.AsyncClient(base_url=bot.url) as http:
            answer = await http.get(
                f"/api/leads/{lead_id}", headers={"Authorization": f"Bearer {API_TOKEN}"}
            )
        assert answer.json()["events"][-1]["detail"]["note"] == "\n".join(lines)
        await browser.close()


async def test_a_follow_up_reminder_brings_links_that_still_work(
    make_settings, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    """Status links work ``link_days`` (14 here); a follow-up a month out comes due when
    every link the rep was sent has expired. A rep with no chat has nothing else to
    report from: the reminder mail brings fresh links, and the deal is reported won."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings, clock=clock) as bot:
        browser = Browser(bot.url)
        lead_id, card = await claimed_by_mail(bot.url, browser, smtp_server)
        assert (await browser.submit(await browser.open(card.link("Kontaktiert")))).status == 200
        contacted = await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if m.subject.endswith(": kontaktiert")]
        )
        follow = await browser.open(contacted[0].link("Wiedervorlage"))
        assert (await browser.submit(follow, date="+30d")).status == 200

        clock.advance(days=30, hours=12)
        reminders = await smtp_server.wait_for(
            lambda: [m for m in smtp_server.to(ANNA) if "Wiedervorlage heute" in m.text]
        )
        won = await browser.open(reminders[0].link("Gewonnen"))
        assert won.status == 200 and won.has_form, won.text
        done = await browser.submit(won, revenue="12.500")
        assert done.status == 200 and f"Lead #{lead_id}: gewonnen." in done.text
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.WON
        await browser.close()
