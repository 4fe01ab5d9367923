"""A colleague's card of a lead is kept current like the owner's (docs/slack.md ``/leads <id>``,
docs/telegram.md ``/lead 17``, docs/lifecycle.md).

Sophie Brandl works at the same partner as the rep who claimed the lead and opens its card
(Slack ``/leads 12``, Telegram ``/lead 12``): the bot posts it into her direct messages as
a card it keeps editing. Only the owner's card was kept current: after the owner's report
Sophie's card still showed the old status and buttons for steps no longer allowed, and
after the owner handed the lead back — it left the partner — her card still showed the
prospect's company and contact while the owner's had become one line without them. Her
card is now edited with the owner's: to the current status while the lead is with her
partner, to the one line without the prospect once it left — an edit only, never a new
message to her.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from tests.emulators.fixtures import TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.emulators.slack import blocks as bk
from tests.support.chat_world import DRIVERS, ChatWorld, chat_world
from tests.support.cli import leadbot
from tests.support.drivers.base import Member, mentions
from tests.support.factories import add_rep

COMPANY = "Brauerei Huber GmbH"
CONTACT = "Maria Huber"


@pytest.fixture(params=("slack", "telegram"))
async def team(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], clock: ManualClock
) -> AsyncIterator[tuple[ChatWorld, Member, Any]]:
    """A world on the platform, a colleague of P1's rep there (Sophie Brandl), the emulator."""
    setup = DRIVERS[request.param]
    emulator: Any = request.getfixturevalue(setup.fixture) if setup.fixture else None
    async with chat_world(request.param, make_settings, clock, emulator) as world:
        a = world.members[0]
        ids = setup.ids(9, a.partner_id)
        async with world.runtime.uow() as uow:
            email = "sophie@p1.example"
            rep = await add_rep(
                uow, a.partner_id, email, name="Sophie Brandl", **setup.rep_fields(ids)
            )
            await uow.commit()
        sophie = Member(
            a.partner_id, a.partner_name, rep.id, "Sophie Brandl", email, ids.user, a.channel
        )
        setup.prepare(emulator, [sophie])
        yield world, sophie, emulator


def cards(world: ChatWorld, emulator: Any, member: Member, lead_id: int) -> dict[str, str]:
    """The messages the bot sent ``member`` directly about the lead: id → text as it is now."""
    if world.platform == "slack":
        return {
            m.ts: m.all_text
            for m in emulator.dm_messages(member.user)
            if mentions(m.all_text, lead_id)
        }
    return {
        str(m.message_id): m.plain_text
        for m in emulator.bot_messages(int(member.user))
        if mentions(m.plain_text, lead_id)
    }


def steps(world: ChatWorld, emulator: Any, member: Member, card: str) -> set[str]:
    """The status steps the card's buttons (and Slack's "⋯" menu) offer now."""
    if world.platform == "slack":
        message = emulator.message(emulator.dm_channel(member.user), card)
        ids = {b.get("action_id", "") for b in bk.buttons(message.blocks)}
        return {i.removeprefix("lead_") for i in ids if i.startswith("lead_")} - {"more"}
    message = emulator.message(int(member.user), int(card))
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    data = [str(b.get("callback_data", "")) for row in rows for b in row]
    return {d.split(":")[2] for d in data if d.startswith("st:")}


async def open_card(world: ChatWorld, emulator: Any, member: Member, lead_id: int) -> str:
    """``member`` asks for the lead's card in their DM (Slack ``/leads 12``, Telegram
    ``/lead 12``); the id of the card message the bot posted."""
    before = set(cards(world, emulator, member, lead_id))
    if world.platform == "slack":
        typed = await world.driver.driver.slash_command(  # type: ignore[attr-defined]
            "/leads", str(lead_id), user=member.user, channel=emulator.dm_channel(member.user)
        )
        assert typed.status == 200, typed
    else:
        await world.command(member, f"lead {lead_id}")
    await world.card(member, lead_id, containing=COMPANY)
    [card] = [k for k, text in cards(world, emulator, member, lead_id).items() if k not in before]
    return card


async def test_a_colleague_s_card_follows_the_owner_s_steps_and_loses_the_prospect_on_hand_back(
    team: tuple[ChatWorld, Member, Any],
) -> None:
    world, sophie, emulator = team
    a = world.members[0]
    lead_id = await world.post_lead()
    await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing=COMPANY)
    await world.settled()

    card = await open_card(world, emulator, sophie, lead_id)
    assert "kontaktiert" not in cards(world, emulator, sophie, lead_id)[card]
    assert "contacted" in steps(world, emulator, sophie, card)
    await world.settled()
    seen = set(cards(world, emulator, sophie, lead_id))

    # The owner reports: Sophie's card — the same message — shows the new status.
    await world.report(a, lead_id, "contacted")
    await world.card(a, lead_id, containing="kontaktiert")
    await world.card(sophie, lead_id, containing="kontaktiert")
    await world.settled()
    now = cards(world, emulator, sophie, lead_id)
    assert set(now) == seen, now  # edited, nothing new posted to her
    assert "kontaktiert" in now[card] and COMPANY in now[card], now[card]
    assert "contacted" not in steps(world, emulator, sophie, card)  # no longer allowed
    assert "meeting" in steps(world, emulator, sophie, card)
    # Hers says who changed it, as the owner's does when a colleague reports.
    assert f"Geändert von {a.name} aus Ihrem Team." in now[card], now[card]

    # She reports from her card: the owner's names her; hers names nobody.
    await world.report(sophie, lead_id, "meeting")
    owners = await world.card(a, lead_id, containing="Geändert von Sophie Brandl")
    assert "Geändert von Sophie Brandl aus Ihrem Team." in owners, owners
    assert "kontaktiert" not in owners, owners  # the card shows the meeting now
    await world.settled()
    now = cards(world, emulator, sophie, lead_id)
    assert set(now) == seen, now
    assert "Geändert von" not in now[card] and "kontaktiert" not in now[card], now[card]

    # The owner hands it back: it left the partner, and her card lost the prospect too.
    await world.report(a, lead_id, ("hand_back", "no_capacity"))
    await world.card(a, lead_id, containing="zurückgegeben")
    await world.card(sophie, lead_id, containing="zurückgegeben")
    await world.settled()
    now = cards(world, emulator, sophie, lead_id)
    assert set(now) == seen, now
    line = now[card]
    assert f"Lead #{lead_id} wurde zurückgegeben" in line, line
    assert steps(world, emulator, sophie, card) == set()
    for private in (COMPANY, CONTACT, f"maria@brauerei-{world.posted}.example"):
        assert private not in line, line


async def test_after_a_takeover_colleagues_see_the_new_owner_and_the_old_owner_s_line_stays(
    team: tuple[ChatWorld, Member, Any],
) -> None:
    """Bert takes the lead over from its owner: Sophie's card names Bert as the one who has
    it; the previous owner's card is the line saying so, and stays that line when Bert
    reports later (the prospect does not come back onto it) while Sophie's card follows.
    A staff recall then takes the lead off Sophie's card too."""
    world, sophie, emulator = team
    a = world.members[0]
    setup = DRIVERS[world.platform]
    ids = setup.ids(10, a.partner_id)
    async with world.runtime.uow() as uow:
        email = "bert@p1.example"
        rep = await add_rep(uow, a.partner_id, email, name="Bert Berger", **setup.rep_fields(ids))
        await uow.commit()
    bert = Member(a.partner_id, a.partner_name, rep.id, "Bert Berger", email, ids.user, a.channel)
    setup.prepare(emulator, [bert])

    lead_id = await world.post_lead()
    await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing=COMPANY)
    card = await open_card(world, emulator, sophie, lead_id)
    await world.settled()
    seen = set(cards(world, emulator, sophie, lead_id))

    await world.command(bert, f"takeover {lead_id}")
    await world.card(bert, lead_id, containing=COMPANY)
    line = f"Lead #{lead_id} hat jetzt Bert Berger aus Ihrem Team übernommen."
    await world.card(a, lead_id, containing=line)
    await world.card(sophie, lead_id, containing="(Bert Berger)")
    await world.settled()
    assert set(cards(world, emulator, sophie, lead_id)) == seen

    await world.report(bert, lead_id, "contacted")
    await world.card(sophie, lead_id, containing="kontaktiert")
    await world.settled()
    assert set(cards(world, emulator, sophie, lead_id)) == seen
    his = cards(world, emulator, a, lead_id)
    assert any(line in text for text in his.values()), his
    assert not any(COMPANY in text or "kontaktiert" in text for text in his.values()), his

    await world.staff(f"recall {lead_id}")
    await world.card(sophie, lead_id, containing="vom Hersteller zurückgeholt")
    await world.settled()
    now = cards(world, emulator, sophie, lead_id)
    assert set(now) == seen, now
    assert COMPANY not in now[card] and CONTACT not in now[card], now[card]
    assert steps(world, emulator, sophie, card) == set()


async def test_a_colleague_s_card_deleted_in_the_chat_is_not_posted_again(
    team: tuple[ChatWorld, Member, Any],
) -> None:
    """Sophie deleted the card she opened: the owner's next step edits nothing of hers and
    posts her no new card (an owner's deleted card is posted again: it is theirs)."""
    world, sophie, emulator = team
    a = world.members[0]
    lead_id = await world.post_lead()
    await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing=COMPANY)
    card = await open_card(world, emulator, sophie, lead_id)
    await world.settled()
    with emulator.lock:  # she deletes it in her chat
        if world.platform == "slack":
            emulator.state.delete({"channel": emulator.dm_channel(sophie.user), "ts": card})
        else:
            emulator.state.delete({"chat_id": int(sophie.user), "message_id": int(card)})
    await world.report(a, lead_id, "contacted")
    await world.card(a, lead_id, containing="kontaktiert")
    await world.settled()
    assert cards(world, emulator, sophie, lead_id) == {}


@pytest.mark.parametrize("team", ["telegram"], indirect=True)
async def test_a_colleague_who_leaves_the_partner_loses_the_prospect_from_their_card(
    team: tuple[ChatWorld, Member, Any], tmp_path: Path
) -> None:
    """Sophie changes employer (``leadbot reps import`` moves her to P2): the card of her
    former colleague's lead she opened becomes one line without the prospect, as the
    leaving owner's own cards do. (Telegram: the command writes notices for the platforms
    its own settings enable; Slack's would look accounts up in Slack first.)"""
    world, sophie, emulator = team
    a = world.members[0]
    lead_id = await world.post_lead()
    await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing=COMPANY)
    card = await open_card(world, emulator, sophie, lead_id)
    own_id = await world.post_lead()  # and one of her own, which passes to her colleague
    await world.claim(sophie, await world.teaser(sophie, own_id))
    await world.card(sophie, own_id, containing=COMPANY)
    won_id = await world.post_lead()  # and one she won: closed, it stays with P1
    await world.claim(sophie, await world.teaser(sophie, won_id))
    await world.report(sophie, won_id, ("won", "12.500"))
    await world.card(sophie, won_id, containing=COMPANY)
    await world.settled()
    seen = set(cards(world, emulator, sophie, lead_id))

    moved = tmp_path / "reps.csv"
    moved.write_text(f"partner_id,name,email,role\nP2,Sophie Brandl,{sophie.email},sales\n")
    imported = await asyncio.to_thread(
        leadbot,
        world.runtime.settings.database.url,
        "reps",
        "import",
        str(moved),
        LEADBOT_TELEGRAM__ENABLED="true",
        LEADBOT_TELEGRAM__TOKEN=TELEGRAM_TOKEN,
        LEADBOT_TELEGRAM__WEBHOOK_SECRET=TELEGRAM_WEBHOOK_SECRET,
    )
    assert imported.exit_code == 0, imported.output
    # The command stamps its rows with the real clock; the world's is in March 2026.
    world.clock.set(max(world.clock.now(), datetime.now(UTC)) + timedelta(seconds=1))
    await world.card(sophie, lead_id, containing="nicht mehr bei dem Unternehmen")
    await world.settled()
    now = cards(world, emulator, sophie, lead_id)
    assert set(now) == seen, now  # an edit, nothing new posted to her
    line = now[card]
    assert f"Lead #{lead_id}: Sie sind nicht mehr bei dem Unternehmen" in line, line
    assert steps(world, emulator, sophie, card) == set()
    for private in (COMPANY, CONTACT, f"maria@brauerei-{world.posted}.example"):
        assert private not in line, line
    # Her own lead's card says she no longer looks after it — not the colleague's line.
    await world.card(sophie, own_id, containing="Sie betreuen ihn nicht mehr")
    await world.settled()
    own = list(cards(world, emulator, sophie, own_id).values())
    assert not [text for text in own if "nicht mehr bei dem Unternehmen, das ihn" in text], own
    # Her won lead's card loses the prospect too: the customer is the partner's.
    await world.card(sophie, won_id, containing="Sie betreuen ihn nicht mehr")
    await world.settled()
    for text in cards(world, emulator, sophie, won_id).values():
        assert COMPANY not in text and CONTACT not in text, text
