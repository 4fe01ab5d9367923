"""A bad value in a Slack dialog is shown at the input it is about, in the rep's language.

The core's refusal names its input (``InvalidInput.field``); the modal's ``errors`` answer
(``response_action: errors``) puts the German words under that input — not under the
one an English message's first word suggests.
"""

from __future__ import annotations

from tests.support.slack_world import PartnerSpec, another_company, slack_settings, slack_world

P1 = PartnerSpec("P1", "C0001", "U0001", language="de")
CONTROL = "Kunde meldet sich\x07 wieder"
NOTE_CONTROL = (
    "Die Notiz enthält ein Steuerzeichen (U+0007); bitte nur Text schreiben "
    "(Zeilenumbrüche sind in Ordnung)."
)


async def test_a_german_reps_bad_note_is_shown_at_the_note(make_settings, slack_emulator) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [P1]) as world:
        await world.post_lead()
        await world.teaser("C0001")
        await world.driver.press_button("lead_decline", user="U0001", channel="C0001")
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"), 10)
        refused = await world.driver.submit_view(
            user="U0001", values={"reason_select": "other", "note_input": CONTROL}
        )
        assert refused.json()["errors"] == {"note": NOTE_CONTROL}
        missing = await world.driver.submit_view(user="U0001", values={"reason_select": "other"})
        assert missing.json()["errors"] == {"note": "Bei „Sonstiges“ bitte kurz begründen."}
        await world.driver.submit_view(user="U0001", values={"reason_select": "no_capacity"})
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001") is None, 10)

        lead_id = await world.post_lead(**another_company(2))
        [offer] = await world.offers(lead_id, "P1")
        await world.settled()
        await world.driver.press_button(
            "lead_claim", user="U0001", channel="C0001", value=str(offer.id)
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.dm_messages("U0001"), 10)
        dm = slack_emulator.dm_channel("U0001")
        await world.driver.press_button(
            "lead_more", user="U0001", channel=dm, option=f"lost:{lead_id}"
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"), 10)
        refused = await world.driver.submit_view(
            user="U0001", values={"reason_select": "price", "note_input": CONTROL}
        )
        assert refused.json()["errors"] == {"note": NOTE_CONTROL}
        assert slack_emulator.modal("U0001") is not None  # open for a correction
