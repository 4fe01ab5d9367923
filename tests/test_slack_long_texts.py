"""Long texts and long lists in Slack: everything reaches the reader, within Block Kit's limits.

The emulator refuses what Slack refuses (a section over 3,000 characters, more than 50
blocks, …), so a message that arrives here would arrive in Slack; these tests check that
nothing a rep needs is cut off on the way.
"""

from __future__ import annotations

import pytest

from bot.handlers.slack.platform import escape_slack
from tests.support.slack_world import (
    STAFF_USER,
    PartnerSpec,
    SlackWorld,
    another_company,
    slack_settings,
    slack_world,
)

REP = PartnerSpec("P1", "C0001", "U0001", {"max_open_leads": 50}, language="de")
LONG_MESSAGE = "\n".join(
    [f"Zeile {n}: Bitte & <rasch> melden, Halle {n} braucht 4 Geräte." for n in range(60)]
    + ["Ein langer Absatz ohne Umbruch & <Sonderzeichen> " * 40]
)[:5000]  # the longest message the API takes


async def the_card(world: SlackWorld, user: str) -> str:
    card = await world.slack.wait_for_async(lambda: world.slack.dm_messages(user), 10, "the card")
    assert card[0].text.startswith("Lead #")  # the notification names the lead
    return card[0].all_text


async def test_the_lead_card_shows_the_prospects_whole_message(
    make_settings, slack_emulator
) -> None:
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [REP]) as world:
        lead_id = await world.post_lead(**{"interest.message": LONG_MESSAGE})
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        card = await the_card(world, "U0001")
        shown = card.replace("\n>", "")  # a quote's lines, and the pieces of a long one
        for line in escape_slack(LONG_MESSAGE).splitlines():
            assert line in shown, line
        card = await world.leads_card("U0001", lead_id, channel="C0001")
        assert escape_slack(LONG_MESSAGE.splitlines()[-1]) in card.all_text.replace("\n>", "")


async def test_many_open_offers_are_listed_whole_and_the_rest_counted(
    make_settings, slack_emulator
) -> None:
    """``/leads teasers`` with more open offers than one message holds: every teaser shown
    has its Claim button, and the answer says how many more there are (not cut mid-teaser)."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [REP]) as world:
        for n in range(15):
            await world.post_lead(**another_company(n))
        await world.settled()
        await world.driver.slash_command("/leads", "teasers", user="U0001", channel="C0001")
        [answer] = await slack_emulator.wait_for_async(
            lambda: slack_emulator.ephemerals(user="U0001"), 10, "/leads teasers"
        )
        shown = [block for block in answer.blocks if block["type"] == "actions"]
        facts = [block for block in answer.blocks if block.get("fields")]
        assert len(shown) == len(facts) >= 10  # each teaser whole, with its buttons
        assert f"{15 - len(shown)} weitere" in answer.all_text


async def test_leads_lists_every_open_lead_of_a_busy_partner(make_settings, slack_emulator) -> None:
    """``/leads`` of a rep whose company has 45 open leads: one line each, all 45 — it
    is the list App Home points to for the leads it has no room for."""
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, [REP]) as world:
        ids = [await world.post_lead(**another_company(n)) for n in range(45)]
        for lead_id in ids:
            [offer] = await world.offers(lead_id, "P1")
            await world.driver.slash_command("/leads", f"claim {offer.id}", user="U0001")
        before = await slack_emulator.wait_for_async(  # each claim answered: all decided
            lambda: len(slack_emulator.ephemerals(user="U0001")) >= len(ids) and len(ids),
            30,
            "an answer to every claim",
        )
        await world.driver.slash_command("/leads", "", user="U0001", channel="C0001")
        [answer] = await slack_emulator.wait_for_async(
            lambda: slack_emulator.ephemerals(user="U0001")[before:], 10, "/leads"
        )
        for lead_id in ids:
            assert f"*#{lead_id}*" in answer.all_text
        assert "weitere" not in answer.all_text


def _many_partners(count: int) -> list[PartnerSpec]:
    """Partners with long names (Slack shows ``&`` as ``&amp;``: five characters each)."""
    return [
        PartnerSpec(
            f"P{n:03d}",
            f"C{n:04d}",
            f"U{n:04d}",
            {"name": f"Nord & Süd {n:03d} " + "& Co & KG " * 18},
        )
        for n in range(count)
    ]


async def _answers_to(world: SlackWorld, text: str, done: str) -> str:
    """Everything staff's ``/leads <text>`` shows, over as many messages as it takes."""
    before = len(world.slack.ephemerals(user=STAFF_USER))

    def shown() -> str:
        return "\n".join(m.all_text for m in world.slack.ephemerals(user=STAFF_USER)[before:])

    await world.driver.slash_command("/leads", text, user=STAFF_USER)
    await world.slack.wait_for_async(lambda: done in shown(), 20, f"/leads {text}")
    return shown()


@pytest.mark.serial  # 300 partners: on a busy CI machine a statement ran out of its 3 s
async def test_staff_see_every_one_of_hundreds_of_partners(make_settings, slack_emulator) -> None:
    """300 partners offered a lead: the pipeline (more than 50 blocks of partner lines) and
    ``/leads explain`` list every partner, over several messages, nothing cut unsaid."""
    partners = _many_partners(300)
    settings = slack_settings(make_settings, slack_emulator)
    async with slack_world(settings, slack_emulator, partners) as world:
        lead_id = await world.post_lead()
        await world.settled(60)
        last = escape_slack(partners[-1].fields["name"])  # the list is sorted by name
        pipeline = await _answers_to(world, "", last)
        for spec in partners:
            assert escape_slack(spec.fields["name"]) in pipeline, spec.id
        assert "more" not in pipeline
        why = await _answers_to(world, f"explain {lead_id}", "Not eligible (0)")
        for spec in partners:
            assert f"{spec.id} Nord &amp; Süd" in why, spec.id
        assert "more" not in why
