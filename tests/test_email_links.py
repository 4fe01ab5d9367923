"""The one-click links refuse everything but their one honest use — and then change nothing.

Forged, tampered, foreign-key, expired (manual clock), reused and another partner's links
get a clear 4xx page; the lead and the link stay as they were. Everything goes over real
HTTP into the running bot; the only token not taken from a real mail is one signed with
the link secret for the wrong partner (what a leaked secret or a bug could produce).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.handlers.email.form import MAX_FIELDS
from bot.handlers.email.links import Purpose, new_link, sign
from bot.models import Lead, LeadEvent, LeadStatus, Offer, Rep
from bot.runtime import Runtime
from tests.emulators.smtp import SmtpServer, token_of
from tests.support.botserver import running_bot
from tests.support.email_world import LINK_SECRET, PUBLIC_URL, Browser, email_section
from tests.support.factories import add_partner, add_rep
from tests.test_email_channel import (
    ANNA,
    INBOX,
    email_settings,
    lead_of,
    mail_only_partner,
    post_lead,
)

OTHER_INBOX = "leads@other.example"
OTHER_REP = "otto@other.example"


def url(token: str) -> str:
    return f"{PUBLIC_URL}/email/act?t={token}"


def tampered(token: str, **changes: object) -> str:
    """The same signature over a payload with other values."""
    payload, _, signature = token.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{raw}.{signature}"


def flip_signature(token: str) -> str:
    payload, _, signature = token.partition(".")
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


async def two_partners(settings) -> None:
    await mail_only_partner(settings)
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "PM2", name="Other GmbH", email=OTHER_INBOX)
        await add_rep(uow, "PM2", OTHER_REP, name="Otto Other")
        await uow.commit()
    await runtime.close()


async def offer_of(runtime: Runtime, partner_id: str) -> Offer:
    async with runtime.uow() as uow:
        offers = (await uow.session.scalars(select(Offer))).all()
    return next(o for o in offers if o.partner_id == partner_id)


async def test_forged_tampered_and_foreign_links_are_refused(
    make_settings, smtp_server: SmtpServer
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await two_partners(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        mine = (await smtp_server.wait_for_mail(INBOX)).links()[0]
        theirs = (await smtp_server.wait_for_mail(OTHER_INBOX)).links()[0]
        token = token_of(mine)
        their_offer = await offer_of(bot.runtime, "PM2")

        refusals = {  # token -> the status of its page
            "not signed by us": (flip_signature(token), 403),
            "another secret": (
                sign(new_link(Purpose.CLAIM, their_offer.id, "PM1", _later()), "x" * 40),
                403,
            ),
            "payload changed": (tampered(token, t=their_offer.id), 403),
            "expiry pushed": (tampered(token, e=4_000_000_000), 403),
            "no signature": (token.partition(".")[0], 400),
            "garbage": ("not.a-token!", 400),
            "empty": ("", 400),
        }
        for what, (bad, status) in refusals.items():
            page = await browser.open(url(bad))
            assert page.status == status, what
            assert not page.has_form, what
            posted = await browser.post({"t": bad, "rep": "1"})
            assert posted.status == status, what

        for accepted, said in (  # before a link is trusted: the browser's best by q-value
            ("en;q=0.1, de", "Dieser Link ist ungültig."),
            ("de;q=0.5, en-GB", "This link is not valid."),
            ("fr", "Dieser Link ist ungültig."),
        ):
            page = await browser.open(url(flip_signature(token)), accept_language=accepted)
            assert page.status == 403 and said in page.text, accepted

        huge = await browser.post({"t": token, "note": "x" * 20_000})
        assert huge.status == 413
        # More fields than any of our forms has (a script's body): refused, was a 500.
        anna = await _rep_id(bot.runtime, ANNA)
        padded = {"t": token, "rep": str(anna), **{f"x{n}": "1" for n in range(MAX_FIELDS)}}
        crowded = await browser.post(padded)
        assert crowded.status == 400 and "Dieser Link ist unvollständig." in crowded.text

        # A correctly signed link for partner PM1 on PM2's offer (say, a leaked secret).
        foreign = url(sign(new_link(Purpose.CLAIM, their_offer.id, "PM1", _later()), LINK_SECRET))
        page = await browser.open(foreign)
        assert page.status == 403 and "Dieser Link gehört nicht zu diesem Lead." in page.text
        # PM2's own link, posted with a rep of PM1: that rep is not one of PM2's choices.
        other_page = await browser.open(theirs)
        wrong_rep = await browser.post({"t": token_of(theirs), "rep": str(anna)})
        assert wrong_rep.status == 422 and "Bitte wählen Sie aus, wer Sie sind." in wrong_rep.text

        lead = await lead_of(bot.runtime, lead_id)
        assert lead.status is LeadStatus.OFFERED and lead.owner_partner_id is None
        # Nothing was used up: both honest links still work (the first one wins).
        my_page = await browser.open(mine)
        assert (await browser.submit(other_page, rep="Otto Other")).status == 200
        late = await browser.submit(my_page, rep="Anna Albers")
        assert late.status == 409 and "bereits übernommen" in late.text
        assert (await browser.open(mine)).status == 409  # still says "taken"
        assert (await lead_of(bot.runtime, lead_id)).owner_partner_id == "PM2"
        await browser.close()


def _later() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


async def _rep_id(runtime: Runtime, email: str) -> int:
    async with runtime.uow() as uow:
        rep = await uow.session.scalar(select(Rep).where(Rep.email == email))
    assert rep is not None
    return rep.id


async def test_status_links_of_another_partner_are_refused(
    make_settings, smtp_server: SmtpServer
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await two_partners(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        assert (
            await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
        ).status == 200
        otto = await _rep_id(bot.runtime, OTHER_REP)
        foreign = url(
            sign(new_link(Purpose.STATUS, lead_id, str(otto), _later(), "won"), LINK_SECRET)
        )
        page = await browser.open(foreign)
        assert page.status == 403 and not page.has_form
        posted = await browser.post({"t": token_of(foreign), "revenue": "1"})
        assert posted.status == 403
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED
        await browser.close()


async def test_links_expire_by_the_clock(
    make_settings, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    """A Claim link lives as long as the offer (60 min here); a status link ``link_days``."""
    settings = email_settings(
        make_settings,
        smtp_server,
        email=email_section(smtp_server, link_days=1),
        distribution={"waves": [{"size": 0, "minutes": 60}], "claim_sla_hours": 240},
    )
    await mail_only_partner(settings)
    async with running_bot(settings, clock=clock) as bot:
        browser = Browser(bot.url)
        first = await post_lead(bot.url)
        claim = (await smtp_server.wait_for_mail(INBOX)).links()[0]
        page = await browser.open(claim)
        assert page.has_form
        clock.advance(minutes=61)
        expired = await browser.submit(page, rep="Anna Albers")
        assert expired.status == 410 and "Dieser Link ist abgelaufen." in expired.text
        assert (await lead_of(bot.runtime, first)).owner_partner_id is None

        second = await post_lead(
            bot.url,
            external_id="crm-2",
            **{"company.domain": "zwei.example", "contact.email": "maria@zwei.example"},
        )
        teaser = await smtp_server.wait_for_mail(INBOX, 2)
        assert (
            await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
        ).status == 200
        card = await smtp_server.wait_for_mail(ANNA)
        contacted = await browser.open(card.link("Kontaktiert"))
        assert contacted.has_form
        clock.advance(hours=25)
        late = await browser.submit(contacted)
        assert late.status == 410 and "abgelaufen" in late.text
        assert (await lead_of(bot.runtime, second)).status is LeadStatus.CLAIMED
        await browser.close()


async def test_a_claim_link_ends_with_the_offer_the_teaser_names(
    make_settings, smtp_server: SmtpServer, clock: ManualClock
) -> None:
    """With two waves, a first-wave teaser is open for both (3 h here) and says so; its
    link says the same end, and after it the link has expired — not a day later."""
    settings = email_settings(
        make_settings,
        smtp_server,
        distribution={
            "waves": [{"size": 0, "minutes": 60}, {"size": 0, "minutes": 120}],
            "claim_sla_hours": 240,
        },
    )
    await mail_only_partner(settings)
    async with running_bot(settings, clock=clock) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        offer_ends = re.search(r"Angebot läuft bis ([\d.: ]+\d)", teaser.text)
        link_ends = re.search(r"Der Link gilt einmal, bis ([\d.: ]+\d)\.", teaser.text)
        assert offer_ends and link_ends, teaser.text
        assert link_ends[1] == offer_ends[1]

        page = await browser.open(teaser.links()[0])
        assert page.has_form
        clock.advance(minutes=181)
        late = await browser.submit(page, rep="Anna Albers")
        assert late.status == 410 and "Dieser Link ist abgelaufen." in late.text
        assert (await lead_of(bot.runtime, lead_id)).owner_partner_id is None
        await browser.close()


async def test_a_link_is_used_once_even_by_two_clicks_at_the_same_moment(
    make_settings, smtp_server: SmtpServer
) -> None:
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        teaser = await smtp_server.wait_for_mail(INBOX)
        await browser.submit(await browser.open(teaser.links()[0]), rep="Anna Albers")
        card = await smtp_server.wait_for_mail(ANNA)
        page = await browser.open(card.link("Kontaktiert"))
        for _ in range(3):  # GET changes nothing and uses nothing up
            assert (await browser.open(card.link("Kontaktiert"))).has_form
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED

        twins = await asyncio.gather(*(browser.submit(page) for _ in range(5)))
        assert sorted(p.status for p in twins) == [200, 410, 410, 410, 410]
        async with bot.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
            events = [e for e in await _events(uow, lead_id) if e == "contacted"]
        assert lead is not None and lead.status is LeadStatus.CONTACTED
        assert events == ["contacted"]
        await browser.close()


async def _events(uow, lead_id: int) -> list[str]:
    rows = await uow.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead_id))
    return [e.to_status or "" for e in rows.all()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's busy timeout
async def test_a_database_that_does_not_answer_gets_a_page_and_the_link_works_after(
    make_settings, smtp_server: SmtpServer, database_url: str
) -> None:
    """A rep presses Claim while the database does not answer (another writer holds
    SQLite's lock past the busy timeout): a page in the browser's language says so — not a
    line of JSON — and the same link claims the lead once the database answers again."""
    database = {"url": database_url, "sqlite_busy_timeout_seconds": 0.3}
    settings = email_settings(make_settings, smtp_server, database=database)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        page = await browser.open((await smtp_server.wait_for_mail(INBOX)).links()[0])
        path = database_url.removeprefix("sqlite:///")
        # Another process's writer, waiting for the lock off this event loop: the bot runs
        # on this loop and must be able to finish a write it has begun.
        holder = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        try:
            await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")
            refused = await browser.submit(page, rep="Anna Albers")
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()
        claimed = await browser.submit(page, rep="Anna Albers")
        await browser.close()
    assert refused.status == 503, refused.html[:300]
    assert "leadbot erreicht seine Datenbank gerade nicht." in refused.text
    assert claimed.status == 200 and f"Lead #{lead_id}" in claimed.text


async def test_a_head_request_reads_like_get_and_never_acts(
    make_settings, smtp_server: SmtpServer
) -> None:
    """Mail scanners and link previews ask with ``HEAD`` too: it got a JSON 405. Now it
    answers as ``GET`` would, without a body, and changes nothing — the link still works."""
    settings = email_settings(make_settings, smtp_server)
    await mail_only_partner(settings)
    async with running_bot(settings) as bot:
        browser = Browser(bot.url)
        lead_id = await post_lead(bot.url)
        claim = (await smtp_server.wait_for_mail(INBOX)).links()[0]
        path = claim.removeprefix(PUBLIC_URL)
        for _ in range(2):
            head = await browser.http.head(path)
            assert head.status_code == 200 and head.content == b""
            assert head.headers["content-type"].startswith("text/html")
            assert head.headers["cache-control"] == "no-store"
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.OFFERED
        assert (await browser.http.head("/email/act?t=forged")).status_code == 400

        claimed = await browser.submit(await browser.open(claim), rep="Anna Albers")
        assert claimed.status == 200, claimed.text
        card = await smtp_server.wait_for_mail(ANNA)
        contacted = card.link("Kontaktiert").removeprefix(PUBLIC_URL)
        assert (await browser.http.head(contacted)).status_code == 200
        assert (await lead_of(bot.runtime, lead_id)).status is LeadStatus.CLAIMED
        assert (await browser.http.head(path)).status_code == 410  # used by the claim
        await browser.close()
