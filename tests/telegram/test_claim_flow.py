"""Teasers in partner groups, the Claim button, the private hand-over — over real HTTP."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import LeadStatus, Offer
from tests.support.telegram_world import WEBHOOK_URL, telegram_settings, telegram_world


async def test_teasers_reach_exactly_the_eligible_partner_groups(make_settings, telegram_emulator):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=3) as world:
        # P2 does not serve Bavaria: its group must not see the lead.
        async with world.runtime.uow() as uow:
            from bot.models import Partner

            partner = await uow.session.get(Partner, "P2")
            assert partner is not None
            partner.regions = ["DE-HH"]
            await uow.commit()
        lead_id = await world.post_lead(**{"company.address.postal_code": "80331"})
        first, second = [await world.teaser(g) for g in world.groups[:2]]
        await world.settled()
        tg = world.tg
        assert tg.bot_messages(world.groups[2]) == []
        for teaser in (first, second):
            assert teaser.parse_mode == "HTML"
            assert "Brauerei" not in teaser.plain_text and "Huber" not in teaser.plain_text
            button, decline = teaser.buttons()  # Claim, and "Not for us" (DESIGN §6)
            assert button["callback_data"].startswith("claim:")
            assert decline["callback_data"].startswith("decline:")
            assert len(button["callback_data"].encode()) <= 64
        async with world.runtime.uow() as uow:
            offers = (
                await uow.session.scalars(select(Offer).where(Offer.lead_id == lead_id))
            ).all()
        assert sorted(o.partner_id for o in offers) == ["P0", "P1"]
        assert tg.webhook is not None and tg.webhook.url == WEBHOOK_URL


async def test_claim_hands_the_lead_over_privately_and_closes_every_teaser(
    make_settings, telegram_emulator
):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=3) as world:
        tg, driver = world.tg, world.driver
        lead_id = await world.post_lead()
        teasers = [await world.teaser(group) for group in world.groups]
        winner, loser = world.users[0], world.users[1]
        pressed = await driver.press(winner, "claim:", chat_id=world.groups[0])
        assert pressed.status == 200
        [answer] = tg.callback_answers(winner)
        assert not answer.show_alert and answer.url is None
        assert f"#{lead_id}" in (answer.text or "")

        card = await world.private(winner, lambda m: "Brauerei Huber GmbH" in m.plain_text)
        assert f"maria@brauerei-{lead_id}.example" in card.plain_text
        actions = [b["callback_data"] for b in card.buttons()]
        assert f"st:{lead_id}:contacted" in actions and f"st:{lead_id}:won" in actions

        await world.settled()
        for group in world.groups:  # every teaser, the winner's too, says "taken"
            edited = [m for m in tg.bot_messages(group) if m.history]
            assert len(edited) == 1 and edited[0].buttons() == []
            assert "vergeben" in edited[0].plain_text.lower()
            assert "Rep 0" not in edited[0].plain_text and "Partner 0" not in edited[0].plain_text

        # A rep whose phone still shows the old button presses it.
        stale = teasers[1]
        late = await driver.press_button(loser, stale, stale.button("claim:")["callback_data"])
        assert late.status == 200
        [late_answer] = tg.callback_answers(loser)
        assert late_answer.show_alert and "bereits übernommen" in (late_answer.text or "")
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
        assert tg.bot_messages(loser) == []  # no details for the late presser


async def test_a_rep_of_another_partner_cannot_take_the_buttons_off_a_teaser(
    make_settings, telegram_emulator
):
    """A rep of P1 who is in P0's group (say, they moved to P1 and never left it) presses
    "Not for us" and a reason under P0's teaser: told it was not offered to their company,
    and the teaser keeps its Claim button for P0's reps."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        tg, driver = world.tg, world.driver
        lead_id = await world.post_lead()
        teaser = await world.teaser(world.groups[0])
        offer = teaser.button("claim:")["callback_data"].split(":")[1]
        outsider, insider = world.users[1], world.users[0]

        await driver.press_button(outsider, teaser, f"decline:{offer}")
        await driver.press_button(outsider, teaser, f"dr:{offer}:too_far")
        first, second = await tg.wait_for_async(
            lambda: (
                tg.callback_answers(outsider) if len(tg.callback_answers(outsider)) == 2 else None
            )
        )
        for answer in (first, second):
            assert answer.show_alert and "nicht angeboten" in (answer.text or ""), answer
        await world.settled()
        now = tg.message(world.groups[0], teaser.message_id)
        assert [b["callback_data"] for b in now.buttons()] == [f"claim:{offer}", f"decline:{offer}"]

        await driver.press(insider, "claim:", chat_id=world.groups[0])
        await world.private(insider, lambda m: bool(m.button(f"st:{lead_id}:")))
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
