"""App Home, ``/leads`` and the staff-feed buttons, end to end against the Slack emulator."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.models import LeadStatus
from tests.support.slack_world import (
    STAFF_CHANNEL,
    STAFF_USER,
    PartnerSpec,
    SlackWorld,
    slack_settings,
    slack_world,
)

REPS = [PartnerSpec("P1", "C0001", "U0001", language="en"), PartnerSpec("P2", "C0002", "U0002")]


async def claimed_lead(world: SlackWorld) -> int:
    lead_id = await world.post_lead()
    await world.teaser("C0001")
    await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
    await world.slack.wait_for_async(lambda: world.slack.dm_messages("U0001"))
    return lead_id


async def answer_to(world: SlackWorld, user: str, text: str) -> str:
    """What ``/leads <text>`` shows ``user`` (ephemeral, only they see it)."""
    before = len(world.slack.ephemerals(user=user))
    reply = await world.driver.slash_command("/leads", text, user=user)
    assert reply.status == 200 and reply.elapsed < 10  # a hang guard, not a speed claim
    found = await world.slack.wait_for_async(
        lambda: world.slack.ephemerals(user=user)[before:], 10, f"/leads {text}"
    )
    return found[0].all_text


async def test_app_home_is_the_reps_cockpit(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await claimed_lead(world)
        await world.driver.app_home_opened("U0001")
        home = await slack_emulator.wait_for_async(lambda: slack_emulator.home_view("U0001"))
        assert "Your open leads" in home.all_text and "Brauerei Huber GmbH" in home.all_text
        assert home.button("lead_contacted", str(lead_id)) and home.button("home_refresh")

        await world.driver.press_view_button("lead_contacted", user="U0001", value=str(lead_id))
        # The confirmation is published on the home tab; a refresh of the list may follow
        # it at once (from the outbox), so look at every publish, not only the latest.
        await slack_emulator.wait_for_async(
            lambda: any(
                "Lead #1: contacted." in json.dumps(call.params, ensure_ascii=False)
                for call in slack_emulator.calls("views.publish", user_id="U0001")
            )
        )
        assert "_contacted_" in slack_emulator.home_view("U0001").all_text
        assert (await world.lead(lead_id)).status is LeadStatus.CONTACTED

        assert home.menu_options("lead_more") == [
            f"lost:{lead_id}",
            f"follow_up:{lead_id}",
            f"hand_back:{lead_id}",
        ]
        await world.driver.press_view_button(
            "lead_more", user="U0001", option=f"follow_up:{lead_id}"
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        past = await world.driver.submit_view(user="U0001", values={"date_picker": "2020-01-01"})
        assert past.json()["errors"] == {"date": "The date is in the past."}
        assert slack_emulator.modal("U0001") is not None  # open for a correction
        later = (world.bot.runtime.clock.now() + timedelta(days=10)).date().isoformat()
        await world.driver.submit_view(user="U0001", values={"date_picker": later})
        await slack_emulator.wait_for_async(
            lambda: f"next follow-up {later}" in slack_emulator.home_view("U0001").all_text
        )
        await slack_emulator.wait_for_async(
            lambda: later in slack_emulator.dm_messages("U0001")[0].all_text
        )


async def test_app_home_for_staff_and_for_strangers(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        await claimed_lead(world)
        await world.driver.app_home_opened(STAFF_USER)
        staff_home = await slack_emulator.wait_for_async(
            lambda: slack_emulator.home_view(STAFF_USER)
        )
        assert ": 1 lead received, 1 open" in staff_home.all_text
        assert "Partner P1" in staff_home.all_text and "Your open leads" not in staff_home.all_text
        slack_emulator.add_user("UGUEST01")
        await world.driver.app_home_opened("UGUEST01")
        guest = await slack_emulator.wait_for_async(lambda: slack_emulator.home_view("UGUEST01"))
        assert "UGUEST01" in guest.all_text and "Brauerei" not in guest.all_text


async def test_leads_command_for_reps(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await claimed_lead(world)
        listing = await answer_to(world, "U0001", "")
        assert "Your open leads" in listing and f"#{lead_id}" in listing
        assert "Brauerei Huber GmbH" in listing
        card = (await world.leads_card("U0001", lead_id)).all_text
        assert "maria.huber@brauerei-huber.de" in card and "Contacted" in card
        other = await answer_to(world, "U0002", str(lead_id))
        assert f"Lead #{lead_id} gehört nicht Ihrem Unternehmen" in other
        assert "Brauerei" not in other
        refused = await answer_to(world, "U0001", f"recall {lead_id}")
        assert "Only the manufacturer's staff may do that" in refused
        assert "/leads explain" not in await answer_to(world, "U0001", "help")
        assert "not understand" in await answer_to(world, "U0001", "delete everything")
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def test_a_long_mistyped_leads_command_is_quoted_by_its_start(
    make_settings, slack_emulator
) -> None:
    """``/leads`` with a pasted wall of text is answered quoting its start, like every chat
    (it was quoted whole, twice: 8,000 characters, Slack's blocks clipping it mid-word)."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        pasted = "won 1 " + "Kunde_meldet_sich_im_Fruehjahr_" * 120
        told = await answer_to(world, "U0001", pasted)
        assert "I did not understand “won 1 Kunde_meldet" in told, told[:300]
        assert "Revenue: 'Kunde_meldet" in told and "…'" in told
        assert len(told) < 600, len(told)


async def test_leads_command_for_staff(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await claimed_lead(world)
        pipeline = await answer_to(world, STAFF_USER, "")
        assert ": 1 lead received, 1 open" in pipeline
        why = await answer_to(world, STAFF_USER, f"explain {lead_id}")
        assert f"Lead {lead_id}: status claimed" in why and "P2" in why
        assert "/leads explain" in await answer_to(world, STAFF_USER, "help")
        recalled = await answer_to(world, STAFF_USER, f"recall {lead_id}")
        assert f"Lead #{lead_id} recalled" in recalled
        await slack_emulator.wait_for_async(
            lambda: (
                "was taken back by the manufacturer"
                in slack_emulator.dm_messages("U0001")[0].all_text
            ),
            10,
        )
        assert "Brauerei" not in slack_emulator.dm_messages("U0001")[0].all_text
        missing = await answer_to(world, STAFF_USER, "erase 999")
        assert "Lead #999 does not exist" in missing
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED  # re-offered to P2


async def test_the_pipelines_notification_text_is_a_sentence(make_settings, slack_emulator) -> None:
    """The ``text`` beside the blocks (notifications, screen readers, old clients) of
    ``/leads`` and ``/leads report`` for staff is the pipeline's title, filled in."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        await world.post_lead()
        for command in ("", "report"):
            await answer_to(world, STAFF_USER, command)
            text = slack_emulator.ephemerals(user=STAFF_USER)[-1].text
            assert text.startswith("Pipeline ") and ": 1 lead received, 1 open" in text
            assert "{" not in text, text


async def test_staff_feed_buttons(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await world.post_lead()
        await world.wait_staff(f"New lead #{lead_id}")
        await world.driver.press_button(
            "staff_explain", user=STAFF_USER, channel=STAFF_CHANNEL, value=str(lead_id)
        )
        why = await slack_emulator.wait_for_async(
            lambda: slack_emulator.ephemerals(user=STAFF_USER)
        )
        assert f"Lead {lead_id}:" in why[0].all_text
        await world.driver.press_button(
            "staff_explain", user="U0001", channel=STAFF_CHANNEL, value=str(lead_id)
        )
        refused = await slack_emulator.wait_for_async(
            lambda: slack_emulator.ephemerals(user="U0001")
        )
        assert "Only the manufacturer's staff" in refused[0].text


async def test_help_speaks_the_reps_language(make_settings, slack_emulator) -> None:
    """``/leads help`` for a German rep: every line in German, placeholders too; the
    English rep gets the same list in English."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        german = await answer_to(world, "U0002", "help")
        english = await answer_to(world, "U0001", "hilfe")
    assert "Ihre offenen Leads" in german and "Erstkontakt melden" in german
    assert "Mit *Übernehmen* unter einem Angebot" in german
    assert "your open leads" not in german and "report first contact" not in german
    assert "your open leads" in english and "Ihre offenen Leads" not in english
    assert "/leads explain" not in german  # a rep sees no staff commands


async def test_a_card_asked_for_with_leads_is_edited_when_the_lead_changes(
    make_settings, slack_emulator
) -> None:
    """``/leads 12`` gives the owner a card the outbox keeps current, as the claim card
    (and Telegram's ``/lead``): asked in a channel, it comes into the DM, and a recall by
    staff edits it there (Slack cannot edit an ephemeral answer later)."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, REPS) as world:
        lead_id = await claimed_lead(world)
        dm = slack_emulator.dm_channel("U0001")
        card = await world.leads_card("U0001", lead_id, channel="C0001")
        assert "maria.huber@brauerei-huber.de" in card.all_text and card.button("lead_contacted")
        await slack_emulator.wait_for_async(  # where the card is, told where it was asked
            lambda: (
                "in your direct messages with leadbot"
                in slack_emulator.ephemerals(channel="C0001", user="U0001")[-1].text
            ),
            10,
        )
        await answer_to(world, STAFF_USER, f"recall {lead_id}")
        await slack_emulator.wait_for_async(
            lambda: (
                "was taken back by the manufacturer" in slack_emulator.message(dm, card.ts).all_text
            ),
            10,
            "the /leads card edited",
        )
        assert "Brauerei" not in slack_emulator.message(dm, card.ts).all_text
