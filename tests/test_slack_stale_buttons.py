"""Buttons that no longer fit: a step the lead has moved past, a card of another company.

Won, Lost, Follow-up and Hand back open a modal. A rep who presses one on an old card (the
claim card after a newer ``/leads <id>`` card, after a colleague reported meanwhile) or on a lead that is
not their company's is told at once, as on Telegram — not after filling in the form.
"""

from __future__ import annotations

from bot.models import LeadStatus
from tests.support.slack_world import PartnerSpec, SlackWorld, slack_settings, slack_world

P1 = PartnerSpec("P1", "C0001", "U0001", language="de")
P2 = PartnerSpec("P2", "C0002", "U0002", language="en")


async def told(world: SlackWorld, user: str, before: int) -> str:
    found = await world.slack.wait_for_async(
        lambda: world.slack.ephemerals(user=user)[before:], 10, f"an answer to {user}"
    )
    return found[0].text


async def test_a_modal_step_on_a_card_that_no_longer_offers_it_is_refused_at_the_press(
    make_settings, slack_emulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [P1, P2]) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        claim_card = (
            await slack_emulator.wait_for_async(lambda: slack_emulator.dm_messages("U0001"), 10)
        )[0]
        dm = slack_emulator.dm_channel("U0001")

        # A rep of another company presses Won on a card that is not theirs.
        before = len(slack_emulator.ephemerals(user="U0002"))
        await world.driver.press_button("lead_won", user="U0002", channel=dm)
        assert f"Lead #{lead_id} does not belong to your company" in await told(
            world, "U0002", before
        )
        assert slack_emulator.modal("U0002") is None

        # The rep asks for the card again (the newest is the one kept current; the claim
        # card keeps its buttons), then wins the lead.
        card = await world.leads_card("U0001", lead_id, channel="C0001")
        await world.driver.press_button("lead_won", user="U0001", channel=dm, message_ts=card.ts)
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"), 10)
        await world.driver.submit_view(user="U0001", values={"revenue_input": "12.500"})
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.WON

        for action_id, option in (("lead_more", f"lost:{lead_id}"), ("lead_won", None)):
            before = len(slack_emulator.ephemerals(user="U0001"))
            await world.driver.press_button(
                action_id, user="U0001", channel=dm, message_ts=claim_card.ts, option=option
            )
            answer = await told(world, "U0001", before)
            assert f"Lead #{lead_id} ist gewonnen — das geht jetzt nicht." in answer
            assert slack_emulator.modal("U0001") is None
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.WON


async def test_a_button_leadbot_no_longer_knows_is_answered_not_failed(
    make_settings, slack_emulator, slack_client
) -> None:
    """An element of an old message (an earlier leadbot's status menu, say) still lies in
    the rep's DM. Pressing it gets the same answer as on Telegram, not Slack's warning
    triangle for an app that answered 404."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [P1]) as world:
        old = {
            "type": "static_select",
            "action_id": "lead_status",
            "options": [{"text": {"type": "plain_text", "text": "Termin"}, "value": "meeting"}],
        }
        await slack_client.chat_postMessage(
            channel="U0001", text="Lead #7", blocks=[{"type": "actions", "elements": [old]}]
        )
        dm = slack_emulator.dm_channel("U0001")
        pressed = await world.driver.press_button(
            "lead_status", user="U0001", channel=dm, option="meeting"
        )
        assert pressed.status == 200
        answer = await told(world, "U0001", 0)
        assert "Dieser Knopf ist veraltet. Bitte nutzen Sie die neueste Nachricht." in answer


async def test_not_for_us_on_an_old_teaser_whose_lead_was_taken_opens_no_dialog(
    make_settings, slack_emulator
) -> None:
    """A ``/leads teasers`` answer keeps its buttons after another company took the lead:
    *Nicht für uns* there is told the lead is gone at once, as Won or Lost are, instead of
    opening the dialog for a reason that can no longer be given."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [P1, P2]) as world:
        await world.post_lead()
        await world.teaser("C0001")
        await world.driver.slash_command("/leads", "teasers", user="U0001", channel="C0001")
        await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals(user="U0001"), 10)
        await world.teaser("C0002")
        await world.driver.press_button("lead_claim", user="U0002", channel="C0002")
        assert "is yours" in await told(world, "U0002", 0)
        before = len(slack_emulator.ephemerals(user="U0001"))
        await world.driver.press_ephemeral_button("lead_decline", user="U0001", channel="C0001")
        assert "Dieser Lead ist nicht mehr verfügbar." in await told(world, "U0001", before)
        assert slack_emulator.modal("U0001") is None
