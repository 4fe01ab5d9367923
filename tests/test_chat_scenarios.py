"""The main dialogues, written once and run on the console, Slack, Telegram and e-mail.

Each scenario talks to a :class:`~tests.support.chat_world.ChatWorld`: the assembled bot
with one platform switched on, partners ``P1`` and ``P2`` reachable only there, and a
driver that acts as their reps and staff the way a person does it on that platform (a
typed console line, a Slack button and modal, a Telegram button and typed answer, an
e-mail link and its form). Every step is checked twice: in what the person sees and in
the database. Time moves only by the test's ``ManualClock``.

Where platforms differ by nature, the scenario asks the driver: a mail cannot be edited
(``edits_teasers``), e-mail has no staff feed (``has_staff_feed``; staff use ``leadbot
console``), and the console has one keyboard (its "race" is presses one after another).

"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.models import LeadStatus, OfferStatus
from tests.support.chat_world import DRIVERS, PLATFORMS, ChatWorld, chat_world
from tests.support.world import eventually

COMPANY = "Brauerei Huber GmbH"
IDENTIFYING = ("Brauerei", "Huber", "Hopfenweg", "80331", "brauerei-", "1234567")


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """The platform's name and its emulator (only the one it needs is started)."""
    setup = DRIVERS[request.param]
    return request.param, request.getfixturevalue(setup.fixture) if setup.fixture else None


@pytest.fixture
async def world(
    platform: tuple[str, Any], make_settings: Callable[..., Settings], clock: ManualClock
) -> AsyncIterator[ChatWorld]:
    name, emulator = platform
    async with chat_world(name, make_settings, clock, emulator) as world:
        yield world


async def test_claim_race_card_progress_and_won(world: ChatWorld) -> None:
    a, b = world.members
    lead_id = await world.post_lead()
    teasers = [await world.teaser(member, lead_id) for member in (a, b)]
    for teaser in teasers:
        assert not [word for word in IDENTIFYING if word in teaser.text], teaser.text
    assert (await world.lead(lead_id)).status is LeadStatus.OFFERED

    # Both reps press Claim at once (the console: one after the other); one wins.
    told = dict(zip((a, b), await world.race([(a, teasers[0]), (b, teasers[1])]), strict=True))
    lead = await world.lead(lead_id)
    assert lead.status is LeadStatus.CLAIMED and lead.claimed_via == world.platform
    [winner] = [m for m in (a, b) if m.partner_id == lead.owner_partner_id]
    [loser] = [m for m in (a, b) if m is not winner]
    assert lead.owner_rep_id == winner.rep_id
    assert f"Lead #{lead_id} gehört Ihnen!" in told[winner]
    assert "bereits übernommen" in told[loser]
    offers = {o.partner_id: o.status for o in await world.offers(lead_id)}
    assert offers == {winner.partner_id: OfferStatus.WON, loser.partner_id: OfferStatus.TAKEN}

    # The card reaches the winner only; every teaser says "taken" without naming anyone.
    card = await world.card(winner, lead_id, containing=COMPANY)
    assert "Maria Huber" in card and "maria@brauerei-1.example" in card
    await world.settled()
    assert COMPANY not in await world.private(loser)
    for member, teaser in zip((a, b), teasers, strict=True):
        assert await world.teasers_shown(member) == {teaser.offer_id}
        now = await world.teaser_now(teaser)
        if world.driver.edits_teasers:
            assert "Vergeben" in now
        assert winner.partner_name not in now and winner.name not in now
    if world.driver.has_staff_feed:
        await world.staff_sees(
            f"Lead #{lead_id} übernommen von {winner.partner_name} ({winner.name})"
        )

    # Progress: contacted, a follow-up that comes due when the clock gets there, won. (Some
    # platforms answer a report only by updating the card: the card first, then the DB.)
    told_contacted = await world.report(winner, lead_id, "contacted")
    assert f"Lead #{lead_id}: kontaktiert." in told_contacted
    await world.card(winner, lead_id, containing="kontaktiert")
    assert (await world.lead(lead_id)).status is LeadStatus.CONTACTED

    day = world.today_plus(3)
    await world.report(winner, lead_id, ("follow_up", day))
    await world.card(winner, lead_id, containing=day.strftime("%d.%m.%Y"))
    assert (await world.lead(lead_id)).follow_up_on == day
    await world.settled()
    reminder = f"Wiedervorlage heute: Lead #{lead_id}."
    assert reminder not in await world.private(winner)
    world.advance(days=3, hours=1)  # the morning of the follow-up day
    await world.direct(winner, lead_id, containing=reminder)

    await world.report(winner, lead_id, ("won", "12.500"))
    final = await world.card(winner, lead_id, containing="12.500 €")
    assert "gewonnen" in final
    lead = await world.lead(lead_id)
    assert lead.status is LeadStatus.WON and lead.revenue_eur == Decimal("12500")
    await world.settled()
    assert COMPANY not in await world.private(loser)
    if world.driver.has_staff_feed:
        for step in ("kontaktiert", "Wiedervorlage", "gewonnen"):
            await world.staff_sees(f"Lead #{lead_id}: {winner.partner_name} meldet „{step}“")


async def test_won_in_english_notation_is_read_as_written(world: ChatWorld) -> None:
    """ "12,500.00" is twelve thousand five hundred euros, on every platform — not 12.50."""
    a = world.members[0]
    lead_id = await world.post_lead()
    teaser = await world.teaser(a, lead_id)
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(a, teaser)
    await world.card(a, lead_id, containing=COMPANY)
    await world.report(a, lead_id, ("won", "1,212,500.50"))
    await world.card(a, lead_id, containing="1.212.500,50 €")
    assert (await world.lead(lead_id)).revenue_eur == Decimal("1212500.50")


async def test_hand_back_offers_the_lead_again_but_never_to_the_first(world: ChatWorld) -> None:
    a, b = world.members
    lead_id = await world.post_lead()
    first = await world.teaser(a, lead_id)
    await world.teaser(b, lead_id)
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(a, first)
    await world.card(a, lead_id, containing=COMPANY)

    await world.report(a, lead_id, ("hand_back", "no_capacity"))
    gone = await world.card(a, lead_id, containing="wurde zurückgegeben")
    assert "Maria Huber" not in gone
    lead = await world.lead(lead_id)
    assert lead.status is LeadStatus.OFFERED and lead.owner_partner_id is None
    again = await world.teaser(b, lead_id)  # a new round, for the other partner
    assert again.offer_id not in {o.id for o in await world.offers(lead_id, a.partner_id)}
    assert not [word for word in IDENTIFYING if word in again.text]
    if world.driver.has_staff_feed:
        await world.staff_sees(
            f"Lead #{lead_id} von {a.partner_name} zurückgegeben (keine Kapazität)"
        )

    # The other partner takes it and gives it back too: nobody is left to ask, and the
    # first partner is still never offered it again.
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(b, again)
    await world.card(b, lead_id, containing=COMPANY)
    await world.report(b, lead_id, ("hand_back", "wrong_region"))
    assert COMPANY not in await world.card(b, lead_id, containing="wurde zurückgegeben")
    await world.settled()
    lead = await world.lead(lead_id)
    assert lead.status is LeadStatus.UNMATCHED and lead.owner_partner_id is None
    assert [o.id for o in await world.offers(lead_id, a.partner_id)] == [first.offer_id]
    assert await world.teasers_shown(a) == {first.offer_id}
    if world.driver.has_staff_feed:
        await world.staff_sees(f"Lead #{lead_id}: kein passender Partner")


async def test_staff_release_a_lead_held_without_consent(world: ChatWorld) -> None:
    a, b = world.members
    lead_id = await world.post_lead(**{"consent.partner_contact": False})
    await world.settled()
    assert (await world.lead(lead_id)).status is LeadStatus.HELD
    assert await world.offers(lead_id) == []
    for member in (a, b):
        assert await world.teasers_shown(member) == set()
    if world.driver.has_staff_feed:
        await world.staff_sees(f"Lead #{lead_id} wird zurückgehalten: keine Einwilligung")

    refused = await world.staff(f"release {lead_id}")
    assert "keine Einwilligung zur Weitergabe" in refused  # in the staff's language
    assert (await world.lead(lead_id)).status is LeadStatus.HELD

    released = await world.staff(f"release {lead_id} consent")
    assert f"Lead #{lead_id} freigegeben: ausgeschrieben." in released
    lead = await world.lead(lead_id)
    assert lead.status is LeadStatus.OFFERED and lead.consent_partner_contact is True
    for member in (a, b):
        teaser = await world.teaser(member, lead_id)
        assert not [word for word in IDENTIFYING if word in teaser.text]


async def test_decline_excludes_the_partner_and_staff_see_why(world: ChatWorld) -> None:
    a, b = world.members
    lead_id = await world.post_lead()
    teaser = await world.teaser(a, lead_id)
    await world.teaser(b, lead_id)
    told = await world.driver.decline(a, teaser, "no_capacity")
    assert "nicht wieder angeboten" in told, told
    [declined] = await world.offers(lead_id, a.partner_id)
    assert declined.status is OfferStatus.DECLINED
    if world.driver.edits_teasers:  # "declined by <rep>", in the partner's own channel

        async def says_who() -> bool:
            return a.name in await world.teaser_now(teaser)

        await eventually(says_who, what="the teaser saying who declined")
    if world.driver.has_staff_feed:
        await world.staff_sees(f"Lead #{lead_id}: {a.partner_name} lehnt ab (keine Kapazität)")

    # The other partner claims and hands it back: the first is never asked again.
    again = await world.teaser(b, lead_id)
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(b, again)
    await world.card(b, lead_id, containing=COMPANY)
    await world.report(b, lead_id, ("hand_back", "no_capacity"))
    await world.card(b, lead_id, containing="wurde zurückgegeben")  # (Slack: after the ack)
    await world.settled()
    assert (await world.lead(lead_id)).status is LeadStatus.UNMATCHED
    assert [o.id for o in await world.offers(lead_id, a.partner_id)] == [teaser.offer_id]
