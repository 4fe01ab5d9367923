"""End to end: a lead offered, claimed on Slack, contacted on Telegram, won — and the CRM
hears exactly that, in order, each event once, every message signed.

The whole assembled bot (``running_bot``: API, Slack and Telegram webhooks, the outbox
sender, the scheduler and the webhook sender) runs against the Slack and Telegram
emulators; the rep has both accounts. Two CRM endpoints listen over real HTTP and check
each request with the Standard Webhooks reference verifier: one subscribed to every
event, one to the four the issue's example names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from bot.config import Settings
from bot.models import Lead, LeadStatus
from bot.runtime import Runtime
from tests.emulators.fixtures import (
    SLACK_SIGNING_SECRET,
)
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.webhooks import webhook_receiver
from tests.support.botserver import running_bot
from tests.support.factories import add_partner, add_rep, lead_payload
from tests.support.two_platforms import both_platforms

API_TOKEN = "e2e-webhooks-token"
SECRET_ALL = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET_SALES = "whsec_c2FsZXMtZW5kcG9pbnQtc2VjcmV0LWtleS0yNGI="
CHANNEL, SLACK_USER, TG_USER = "C0420", "U0420", 7420


def _settings(
    make_settings: Any, slack: SlackEmulator, tg: TelegramEmulator, hooks: list[dict[str, Any]]
) -> Settings:
    return both_platforms(
        make_settings,
        slack,
        tg,
        api_token=API_TOKEN,
        webhooks=hooks,
        webhook_sender={"poll_seconds": 0.1},
    )


async def _directory(settings: Settings, slack: SlackEmulator, tg: TelegramEmulator) -> None:
    runtime = Runtime.create(settings)
    async with runtime.uow() as uow:
        await add_partner(uow, "P42", name="Alpen IT", slack_channel=CHANNEL)
        await add_rep(
            uow,
            "P42",
            "max@alpen-it.example",
            name="Max Huber",
            slack_user_id=SLACK_USER,
            telegram_user_id=TG_USER,
            telegram_started_at=datetime.now(UTC),
        )
        await uow.commit()
    await runtime.close()
    slack.add_channel(CHANNEL, "partner-alpen-it")
    slack.add_user(SLACK_USER)
    tg.add_user(TG_USER, "Max", language_code="de")
    tg.start_user(TG_USER)


async def test_offered_claimed_on_slack_contacted_on_telegram_won_reaches_the_crm_in_order(
    make_settings: Any, slack_emulator: SlackEmulator, telegram_emulator: TelegramEmulator
) -> None:
    slack, tg = slack_emulator, telegram_emulator
    async with (
        webhook_receiver(SECRET_ALL) as everything,
        webhook_receiver(SECRET_SALES) as sales,
    ):
        hooks = [
            {"name": "crm", "url": everything.url, "secret_env": "A", "secret": SECRET_ALL},
            {
                "name": "sales",
                "url": sales.url,
                "events": ["lead.claimed", "lead.contacted", "lead.won", "lead.lost"],
                "secret_env": "B",
                "secret": SECRET_SALES,
            },
        ]
        settings = _settings(make_settings, slack, tg, hooks)
        await _directory(settings, slack, tg)
        async with running_bot(settings) as bot:
            async with httpx.AsyncClient(base_url=bot.url) as http:
                created = await http.post(
                    "/api/leads",
                    json=lead_payload(),
                    headers={"Authorization": f"Bearer {API_TOKEN}"},
                )
            assert created.status_code == 201 and created.json()["status"] == "offered"
            lead_id = created.json()["id"]

            # Claimed on Slack.
            await slack.wait_for_async(
                lambda: any(m.button("lead_claim") for m in slack.bot_messages(CHANNEL)),
                15,
                "the teaser",
            )
            slack_driver = slack.driver(f"{bot.url}/slack/events", SLACK_SIGNING_SECRET)
            pressed = await slack_driver.press_button(
                "lead_claim", user=SLACK_USER, channel=CHANNEL
            )
            assert pressed.status == 200
            await everything.wait_for("lead.claimed", 15)  # Slack is answered before the claim

            # Contacted and won on Telegram, from the lead card the rep opens there.
            tg_driver = tg.driver(webhook_url=f"{bot.url}/telegram/webhook")
            await tg_driver.command(TG_USER, "lead", str(lead_id))
            card = await tg.wait_for_async(
                lambda: next(
                    (m for m in tg.bot_messages(TG_USER) if m.button(f"st:{lead_id}:contacted")),
                    None,
                ),
                15,
                "the lead card on Telegram",
            )
            await tg_driver.press(TG_USER, f"st:{lead_id}:contacted", message_id=card.message_id)
            await everything.wait_for("lead.contacted", 15)
            await tg_driver.press(TG_USER, f"st:{lead_id}:won", message_id=card.message_id)
            await tg.wait_for_async(
                lambda: any("Umsatz" in m.plain_text for m in tg.bot_messages(TG_USER)), 15
            )
            await tg_driver.send_text(TG_USER, "61.000 €")
            await everything.wait_for("lead.won", 15)
            await sales.wait_for("lead.won", 15)
            async with bot.runtime.uow() as uow:
                lead = await uow.session.get(Lead, lead_id)
            assert lead is not None and lead.status is LeadStatus.WON

        assert everything.refused_signatures == [] and sales.refused_signatures == []
        assert everything.of_lead(lead_id) == [
            "lead.received",
            "lead.offered",
            "lead.claimed",
            "lead.contacted",
            "lead.won",
        ]
        assert sales.of_lead(lead_id) == ["lead.claimed", "lead.contacted", "lead.won"]
        for receiver in (everything, sales):
            ids = [m.id for m in receiver.accepted]
            assert len(ids) == len(set(ids)) and receiver.requests == len(ids)

        claimed, contacted, won = (m.payload["data"] for m in sales.accepted)
        assert claimed["status"] == "claimed" and claimed["claimed_via"] == "slack"
        assert claimed["partner"] == {"id": "P42", "name": "Alpen IT"}
        assert claimed["rep"] == {"name": "Max Huber"}
        assert contacted["status"] == "contacted" and contacted["contacted_at"] is not None
        assert contacted["events"][-1]["channel"] == "telegram"
        assert contacted["events"][-1]["actor"] == {
            "kind": "rep",
            "id": claimed["events"][-1]["actor"]["id"],
            "name": "Max Huber",
        }
        assert won["status"] == "won" and won["revenue_eur"] == 61000.0
        for message in sales.accepted:  # no personal data goes out
            text = str(message.payload)
            assert "Brauerei Huber" not in text and "maria.huber" not in text
