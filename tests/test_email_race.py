"""E-mail claims race Slack and Telegram presses for one lead: exactly one winner.

Five partners take leads in Slack channels, five in Telegram groups, five only by e-mail.
All fifteen reps act at the same moment over real HTTP into the one assembled bot: signed
Slack interactions, Telegram callback updates, and the confirm button of the e-mail Claim
link's page. The database decides; every platform must agree with it.
"""

from __future__ import annotations

import asyncio

import httpx

from bot.config import EmailSettings
from bot.models import Lead, LeadStatus
from bot.runtime import Runtime
from tests.emulators.fixtures import SLACK_SIGNING_SECRET
from tests.emulators.slack import SlackEmulator
from tests.emulators.smtp import SmtpServer
from tests.emulators.telegram import TelegramEmulator
from tests.support.botserver import running_bot
from tests.support.email_world import PUBLIC_URL, Browser, email_section
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.two_platforms import both_platforms
from tests.support.world import outbox_settled
from tests.test_cross_platform_race import API_TOKEN, SLACK, TELEGRAM, _directory

PER_PLATFORM = 5
SLACK_RACERS = SLACK[:PER_PLATFORM]
TELEGRAM_RACERS = TELEGRAM[:PER_PLATFORM]
MAIL = [(f"PE{i:02d}", f"leads@pe{i:02d}.example", f"rep@pe{i:02d}.example") for i in range(5)]
COMPANY = "Brauerei Huber GmbH"


async def test_email_links_race_slack_and_telegram_presses(
    make_settings,
    slack_emulator: SlackEmulator,
    telegram_emulator: TelegramEmulator,
    smtp_server: SmtpServer,
) -> None:
    slack, tg = slack_emulator, telegram_emulator
    chat = both_platforms(make_settings, slack, tg, api_token=API_TOKEN)
    settings = chat.model_copy(
        update={
            "email": EmailSettings.model_validate(email_section(smtp_server)),
            "server": chat.server.model_copy(update={"public_url": PUBLIC_URL}),
        }
    )
    await _directory(settings, slack, tg)
    setup = Runtime.create(settings)
    async with setup.uow() as uow:
        for pid, inbox, rep in MAIL:
            await add_partner(uow, pid, email=inbox)
            await add_rep(uow, pid, rep, name=f"Rep {pid}")
        await uow.commit()
    await setup.close()

    async with running_bot(settings) as bot:
        slack_driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)
        tg_driver = tg.driver(webhook_url=f"{bot.url}/telegram/webhook")
        browser = Browser(bot.url)
        async with httpx.AsyncClient(base_url=bot.url) as http:
            created = await http.post(
                "/api/leads", json=lead_payload(), headers={"Authorization": f"Bearer {API_TOKEN}"}
            )
        assert created.status_code == 201
        lead_id = created.json()["id"]

        pages = []
        for pid, inbox, _ in MAIL:
            teaser = await smtp_server.wait_for_mail(inbox, timeout=15)
            page = await browser.open(teaser.links()[0])
            assert page.has_form, page.text
            pages.append((pid, page))
        for _, channel, _ in SLACK_RACERS:
            await slack.wait_for_async(
                lambda c=channel: any(m.button("lead_claim") for m in slack.bot_messages(c)), 15
            )
        tg_teasers = {
            group: await tg.wait_for_async(
                lambda g=group: next((m for m in tg.bot_messages(g) if m.button("claim:")), None),
                15,
            )
            for _, group, _ in TELEGRAM_RACERS
        }

        presses = [
            slack_driver.press_button("lead_claim", user=user, channel=channel)
            for _, channel, user in SLACK_RACERS
        ] + [
            tg_driver.press_button(
                user, tg_teasers[group], tg_teasers[group].button("claim:")["callback_data"]
            )
            for _, group, user in TELEGRAM_RACERS
        ]
        mail_presses = [browser.submit(page, rep=f"Rep {pid}") for pid, page in pages]
        results = await asyncio.gather(*presses, *mail_presses)
        chat_results, mail_results = results[: len(presses)], results[len(presses) :]
        assert all(r.status == 200 for r in chat_results)

        async with bot.runtime.uow() as uow:
            lead = await uow.session.get(Lead, lead_id)
        assert lead is not None and lead.status is LeadStatus.CLAIMED
        winner = lead.owner_partner_id
        racers = {p for p, _, _ in SLACK_RACERS} | {p for p, _, _ in TELEGRAM_RACERS}
        assert winner in racers | {p for p, _, _ in MAIL}

        # Each e-mail claimer was told the truth on the page: won (200) or taken (409).
        mail_won = [
            pid for (pid, _), page in zip(pages, mail_results, strict=True) if page.status == 200
        ]
        assert mail_won == ([winner] if winner.startswith("PE") else [])
        for (pid, _), page in zip(pages, mail_results, strict=True):
            if pid != winner:
                assert page.status == 409 and "bereits übernommen" in page.text

        await slack.wait_for_async(lambda: len(slack.ephemerals()) == PER_PLATFORM, 15)
        await tg.wait_for_async(lambda: len(tg.callback_answers()) == PER_PLATFORM, 15)
        await outbox_settled(bot.sender, 15)  # a second hand-over would have been sent by now
        assert await bot.sender.pending() == 0

        hand_overs = (
            [
                user
                for _, _, user in SLACK_RACERS
                if any(COMPANY in m.all_text for m in slack.dm_messages(user))
            ]
            + [
                str(user)
                for _, _, user in TELEGRAM_RACERS
                if any(COMPANY in m.plain_text for m in tg.bot_messages(user))
            ]
            + [rep for _, _, rep in MAIL if any(COMPANY in m.text for m in smtp_server.to(rep))]
        )
        assert len(hand_overs) == 1
        # The other inboxes got their teaser and nothing else (a mail cannot be edited).
        for _, inbox, _ in MAIL:
            assert len(smtp_server.to(inbox)) == 1
        await browser.close()
