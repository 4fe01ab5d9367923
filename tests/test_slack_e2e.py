"""The Slack app end to end: leadbot served over HTTP, Slack played by the emulator.

Leads come in over ``POST /api/leads``; teasers, DMs and edits are what the bot really sent
to the emulated Web API; presses, modals and retries are signed requests to
``/slack/events`` as Slack sends them. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.models import LeadStatus, OutboxMessage, OutboxStatus
from tests.emulators.slack import SlackEmulator
from tests.support.databases import REDIS_URL
from tests.support.slack_world import (
    STAFF_CHANNEL,
    PartnerSpec,
    SlackWorld,
    another_company,
    slack_settings,
    slack_world,
)

HANG_GUARD_SECONDS = 10.0  # a hang guard only; ack speed is measured by bench/claims.py


def partners(count: int, language: str = "en") -> list[PartnerSpec]:
    return [
        PartnerSpec(f"P{i:02d}", f"C{i:04d}", f"U{i:04d}", language=language)
        for i in range(1, count + 1)
    ]


NOT_ELIGIBLE = [
    PartnerSpec("PAT", "C9001", "U9001", {"country": "AT", "regions": ["AT"]}, language="en"),
    PartnerSpec("PNC", "C9002", "U9002", {"certifications": {}}, language="en"),
]


def card_of(world: SlackWorld, user: str):
    """The rep's lead card: the first bot message in their DM (edited in place later)."""
    found = world.slack.dm_messages(user)
    return found[0] if found else None


async def test_exactly_one_of_30_concurrent_claimers_wins(make_settings, slack_emulator) -> None:
    eligible = partners(30)
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, eligible + NOT_ELIGIBLE) as world:
        lead_id = await world.post_lead()
        teasers = {p.channel: await world.teaser(p.channel) for p in eligible}
        await world.settled()
        for outsider in NOT_ELIGIBLE:
            assert slack_emulator.bot_messages(outsider.channel) == []
        assert all("Brauerei" not in t.all_text for t in teasers.values())

        presses = await asyncio.gather(
            *(
                world.driver.press_button("lead_claim", user=p.rep, channel=p.channel)
                for p in eligible
            )
        )
        assert [r.status for r in presses] == [200] * 30
        assert max(r.elapsed for r in presses) < HANG_GUARD_SECONDS
        assert len(slack_emulator.calls("auth.test")) == 1  # asked once, at start
        await slack_emulator.wait_for_async(
            lambda: len(slack_emulator.ephemerals()) == 30, 10, "an answer for every presser"
        )
        await world.settled()

        lead = await world.lead(lead_id)
        assert lead.status is LeadStatus.CLAIMED
        [winner] = [p for p in eligible if p.id == lead.owner_partner_id]
        with_details = [
            p.rep
            for p in eligible
            if any("Brauerei Huber GmbH" in m.all_text for m in slack_emulator.dm_messages(p.rep))
        ]
        assert with_details == [winner.rep]
        assert "maria.huber@brauerei-huber.de" in card_of(world, winner.rep).all_text
        answers = {e.user: e.text for e in slack_emulator.ephemerals()}
        assert "is yours" in answers.pop(winner.rep)
        assert all("already been taken" in text for text in answers.values()), answers
        for p in eligible:
            [teaser] = slack_emulator.bot_messages(p.channel)
            assert teaser.ts == teasers[p.channel].ts and teaser.edited
            assert teaser.buttons() == [] and "Taken" in teaser.all_text
            assert winner.id not in teaser.all_text and "Rep" not in teaser.all_text
        await world.wait_staff(f"Lead #{lead_id} claimed by Partner {winner.id}")


async def test_status_flow_through_buttons_and_modals_ends_in_won(
    make_settings, slack_emulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(2)) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        card = await slack_emulator.wait_for_async(lambda: card_of(world, "U0001"))
        dm = slack_emulator.dm_channel("U0001")
        # A phone shows four buttons in a row: the frequent steps; the rare ones are in "⋯".
        assert [b["action_id"] for b in card.buttons()] == [
            "lead_contacted",
            "lead_meeting",
            "lead_proposal",
            "lead_won",
        ]
        assert card.menu_options("lead_more") == [
            f"lost:{lead_id}",
            f"follow_up:{lead_id}",
            f"hand_back:{lead_id}",
        ]
        assert "Hand back" in card.all_text and "Follow-up" in card.all_text

        async def press(action: str, shown: str) -> None:
            answer = await world.driver.press_button(f"lead_{action}", user="U0001", channel=dm)
            assert answer.status == 200 and answer.elapsed < HANG_GUARD_SECONDS
            await slack_emulator.wait_for_async(
                lambda: shown in card_of(world, "U0001").all_text, 10, shown
            )

        for action, status in (
            ("contacted", "contacted"),
            ("meeting", "meeting"),
            ("proposal", "proposal"),
        ):
            await press(action, f"Status: *{status}*")
            await world.wait_staff(f"reports “{status}”")

        await world.driver.press_button(
            "lead_more", user="U0001", channel=dm, option=f"follow_up:{lead_id}"
        )
        modal = await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        assert modal.callback_id == "report_follow_up"
        day = (world.bot.runtime.clock.now() + timedelta(days=7)).date()
        await world.driver.submit_view(user="U0001", values={"date_picker": day.isoformat()})
        assert slack_emulator.modal("U0001") is None
        await slack_emulator.wait_for_async(
            lambda: day.isoformat() in card_of(world, "U0001").all_text, 10, "the follow-up date"
        )
        await world.wait_staff("reports “Follow-up”")

        await world.driver.press_button("lead_won", user="U0001", channel=dm)
        modal = await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        assert modal.callback_id == "report_won"
        wrong = await world.driver.submit_view(user="U0001", values={"revenue_input": "viel"})
        assert wrong.elapsed < HANG_GUARD_SECONDS
        still_open = slack_emulator.modal("U0001")
        assert still_open is not None and "amount in euros" in still_open.errors["revenue"]
        assert (await world.lead(lead_id)).status is LeadStatus.PROPOSAL
        await world.driver.submit_view(user="U0001", values={"revenue_input": "12.500,50"})
        assert slack_emulator.modal("U0001") is None
        await slack_emulator.wait_for_async(
            lambda: "Status: *won*" in card_of(world, "U0001").all_text, 10, "the won card"
        )
        await world.wait_staff("Revenue: 12,500.50 €")

        lead = await world.lead(lead_id)
        assert lead.status is LeadStatus.WON and lead.revenue_eur == Decimal("12500.50")
        final = card_of(world, "U0001")
        assert final.ts == card.ts and final.buttons() == []
        assert "12,500.50 €" in final.all_text
        assert len(final.history) >= 5  # edited in place at every step
        feed = world.staff_feed()
        for step in ("contacted", "meeting", "proposal", "Follow-up", "won"):
            assert f"reports “{step}”" in feed


async def test_lost_and_hand_back_through_their_modals(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(2)) as world:
        first = await world.post_lead()
        second = await world.post_lead(**another_company(2))
        dm = slack_emulator.dm_channel("U0001")
        await slack_emulator.wait_for_async(
            lambda: (
                len([m for m in slack_emulator.bot_messages("C0001") if m.button("lead_claim")])
                == 2
            )
        )
        teasers = [m for m in slack_emulator.bot_messages("C0001") if m.button("lead_claim")]
        for teaser in teasers:
            await world.driver.press_button(
                "lead_claim", user="U0001", channel="C0001", message_ts=teaser.ts
            )
        await slack_emulator.wait_for_async(
            lambda: all(
                any(
                    f"lost:{lead}" in m.menu_options("lead_more")
                    for m in slack_emulator.dm_messages("U0001")
                )
                for lead in (first, second)
            ),
            10,
            "both lead cards",
        )

        await world.driver.press_button(
            "lead_more", user="U0001", channel=dm, option=f"lost:{first}"
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        missing = await world.driver.submit_view(user="U0001", values={})
        assert missing.json() == {
            "response_action": "errors",
            "errors": {"reason": "Please choose a reason."},
        }
        await world.driver.submit_view(
            user="U0001", values={"reason_select": "competitor", "note_input": "cheaper offer"}
        )
        await world.wait_staff(f"Lead #{first}: Partner P01 reports “lost”")

        await world.driver.press_button(
            "lead_more", user="U0001", channel=dm, option=f"hand_back:{second}"
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        await world.driver.submit_view(user="U0001", values={"reason_select": "no_capacity"})
        await world.wait_staff(f"Lead #{second} handed back by Partner P01 (no capacity)")
        await world.settled()

        lost, returned = await world.lead(first), await world.lead(second)
        assert lost.status is LeadStatus.LOST and lost.lost_reason == "competitor"
        assert returned.status is LeadStatus.OFFERED  # offered again, without P01
        cards = "\n".join(m.all_text for m in slack_emulator.dm_messages("U0001"))
        assert f"Lead #{second} was handed back" in cards
        assert any(m.button("lead_claim") for m in slack_emulator.bot_messages("C0002"))


async def test_bad_signatures_change_nothing(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(1)) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        for signing in ("bad", "stale", "missing"):
            answer = await world.driver.press_button(
                "lead_claim", user="U0001", channel="C0001", signing=signing
            )
            assert answer.status == 401, signing
        home = await world.driver.app_home_opened("U0001", signing="bad")
        assert home.status == 401
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED
        assert slack_emulator.ephemerals() == [] and slack_emulator.dm_messages("U0001") == []
        assert slack_emulator.calls("views.publish") == []


@pytest.mark.parametrize("coordination", ["in-process", "redis"])
async def test_retried_deliveries_are_processed_once(
    make_settings, slack_emulator, coordination: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.handlers.slack")
    redis = {"url": REDIS_URL, "key_prefix": f"leadbot-test:{uuid.uuid4().hex}:"}
    settings = slack_settings(
        make_settings, slack_emulator, **({"redis": redis} if coordination == "redis" else {})
    )
    async with slack_world(settings, slack_emulator, partners(1)) as world:
        await world.post_lead()
        await world.teaser("C0001")
        press = await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        again = await world.driver.resend(press, retry_num=1)
        opened = await world.driver.app_home_opened("U0001")
        reopened = await world.driver.resend(opened, retry_num=2, retry_reason="timeout")
        typed = await world.driver.slash_command("/leads", "", user="U0001")
        retyped = await world.driver.resend(typed)
        assert {r.status for r in (press, again, opened, reopened, typed, retyped)} == {200}

        # Each repeat waits for the first delivery to be applied, then is turned away (an
        # event is acknowledged by Bolt at once, so its repeat may be turned away later).
        def ignored() -> int:
            return sum("ignored a repeated delivery" in r.getMessage() for r in caplog.records)

        await slack_emulator.wait_for_async(lambda: ignored() >= 3, 10, "three repeats ignored")
        assert ignored() == 3
        await world.settled()
        await slack_emulator.wait_for_async(
            lambda: (
                any("is yours" in a.text for a in slack_emulator.ephemerals(user="U0001"))
                and any(
                    "Your open leads" in a.all_text for a in slack_emulator.ephemerals(user="U0001")
                )
                and len(slack_emulator.calls("views.publish")) >= 2
            ),
            10,
            "the answers to the first deliveries",
        )
        answers = slack_emulator.ephemerals(user="U0001")
        assert len([a for a in answers if "is yours" in a.text]) == 1
        assert not any("already yours" in a.text for a in answers)
        assert len([a for a in answers if "Your open leads" in a.all_text]) == 1
        # one views.publish after the claim, one for the opened tab: not two for it
        assert len(slack_emulator.calls("views.publish")) == 2


async def test_strangers_and_reps_not_offered_the_lead_are_told_why(
    make_settings, slack_emulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(1) + NOT_ELIGIBLE) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        slack_emulator.add_user("UNOBODY1")
        await world.driver.press_button("lead_claim", user="UNOBODY1", channel="C0001")
        await world.driver.press_button("lead_claim", user="U9001", channel="C0001")
        await slack_emulator.wait_for_async(lambda: len(slack_emulator.ephemerals()) == 2)
        [stranger] = slack_emulator.ephemerals(user="UNOBODY1")
        assert "UNOBODY1" in stranger.text and "slack_user_id" in stranger.text
        [outsider] = slack_emulator.ephemerals(user="U9001")
        assert "was not offered to your company" in outsider.text
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED
        assert world.slack.last_message("C0001").button("lead_claim")  # type: ignore[union-attr]


async def test_lead_text_is_escaped_everywhere(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(1)) as world:
        await world.post_lead(
            **{
                "company.name": "<!channel> Evil & Co",
                "interest.message": "see <https://evil.example|here> <@U0001>",
                "contact.name": "<!here>",
            }
        )
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        card = await slack_emulator.wait_for_async(lambda: card_of(world, "U0001"))
        await world.settled()
        text = card.all_text
        assert "&lt;!channel&gt; Evil &amp; Co" in text
        assert "&lt;https://evil.example|here&gt; &lt;@U0001&gt;" in text
        everything = "\n".join(
            m.all_text
            for channel in ("C0001", STAFF_CHANNEL, slack_emulator.dm_channel("U0001"))
            for m in slack_emulator.bot_messages(channel)
        )
        for raw in ("<!channel>", "<!here>", "<https://evil", "<@U0001>"):
            assert raw not in everything


async def test_rate_limit_storm_delivers_everything_eventually(
    make_settings, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.limits.set("per_channel", per_second=2, burst=1)
    settings = slack_settings(
        make_settings,
        slack_emulator,
        limits=True,
        slack={"per_channel_per_second": 100, "burst": 100},
    )
    group = partners(6)
    async with slack_world(settings, slack_emulator, group) as world:
        leads = [await world.post_lead(**another_company(i)) for i in range(3)]
        await world.settled(timeout=40)
        async with world.bot.runtime.uow() as uow:
            rows = (await uow.session.scalars(select(OutboxMessage))).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        limited = [c for c in slack_emulator.calls("chat.postMessage") if c.status == 429]
        assert limited, "the storm never hit Slack's limit"
        for p in group:
            assert len(slack_emulator.bot_messages(p.channel)) == len(leads)
        feed = world.staff_feed()
        for lead_id in leads:
            assert f"New lead #{lead_id}" in feed


async def test_a_failure_after_the_answer_is_told_not_hidden(
    make_settings, slack_emulator, caplog
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(1)) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        trigger, response_url = slack_emulator.new_interaction("U0001", "C0001", None)
        broken = {  # a Claim press whose payload lacks the user id
            "type": "block_actions",
            "team": {"id": slack_emulator.team_id},
            "api_app_id": "A000000001",
            "trigger_id": trigger,
            "response_url": response_url,
            "actions": [{"type": "button", "action_id": "lead_claim", "value": str(lead_id)}],
        }
        answer = await world.driver.send_payload(broken)
        assert answer.status == 200
        [told] = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals())
        assert "Something went wrong on our side" in told.text
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED
        assert "PayloadError" in caplog.text and "has no user id" not in caplog.text


async def test_a_dialog_that_does_not_open_is_told(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners(1)) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        await slack_emulator.wait_for_async(lambda: card_of(world, "U0001"))
        dm = slack_emulator.dm_channel("U0001")
        slack_emulator.faults.error("views.open", "expired_trigger_id")
        await world.driver.press_button("lead_won", user="U0001", channel=dm)
        told = await slack_emulator.wait_for_async(
            lambda: [e for e in slack_emulator.ephemerals(user="U0001") if "try again" in e.text]
        )
        assert told and slack_emulator.modal("U0001") is None
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
