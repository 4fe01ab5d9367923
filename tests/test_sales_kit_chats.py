"""The sales kit on a phone: a short list first, the items on demand (Slack and Telegram).

Through the emulators: the rep claims, the kit arrives in their DM / private chat as one
line per item; on Slack *Show details* expands that very message and *Show less* folds
it, on Telegram ‹ › page through it one item per page, every message within one screen.
Only the rep it was sent to, and only while they own the lead, can open it.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import LeadStatus
from tests.support.slack_world import PartnerSpec, slack_settings, slack_world
from tests.support.telegram_world import World, telegram_settings, telegram_world

SCREEN = 1200  # docs/telegram.md: every message leadbot pushes to a rep fits this

LONG_BODY = "\n".join(
    f"Schritt {n}: Der Techniker prüft Anschluss {n} & Erdung." for n in range(50)
)
LIBRARY = f'''\
line = "X-series"

[[arguments]]
key = "x-latency"
[arguments.de]
title = "Entscheidungen in Millisekunden"
body = "Der X200 regelt vor Ort in unter 5 ms."
[arguments.en]
title = "Decisions in milliseconds"
body = "The X200 controls on site in under 5 ms."

[[offers]]
key = "x200-bundle"
valid_until = 2099-12-31
[offers.de]
title = "Paket: 3 zum Preis von 2,5"
body = "Aktionscode PAKET-X200 bei der Bestellung angeben."
[offers.en]
title = "Bundle: 3 for the price of 2.5"
body = "Quote PAKET-X200 when ordering."

[[services]]
key = "x-commissioning"
[services.de]
title = "Inbetriebnahme vor Ort <Checkliste>"
body = """
{LONG_BODY}
"""
'''


def library(tmp_path: Path) -> dict[str, str]:
    root = tmp_path / "library"
    root.mkdir()
    (root / "x-series.toml").write_text(LIBRARY, encoding="utf-8")
    return {"library": str(root)}


# --- Slack ------------------------------------------------------------------------------


async def test_slack_kit_is_a_short_list_that_expands_in_place(
    make_settings, slack_emulator, tmp_path: Path
) -> None:
    settings = slack_settings(make_settings, slack_emulator, content=library(tmp_path))
    reps = [PartnerSpec("P1", "C0001", "U0001", language="en"), PartnerSpec("P2", "C0002", "U0002")]
    async with slack_world(settings, slack_emulator, reps) as world:
        lead_id = await world.post_lead()
        await world.teaser("C0001")
        await world.driver.press_button("lead_claim", user="U0001", channel="C0001")
        dm = slack_emulator.dm_channel("U0001")
        kit = await slack_emulator.wait_for_async(
            lambda: next(
                (m for m in slack_emulator.dm_messages("U0001") if m.button("kit_details")), None
            )
        )
        short = kit.all_text
        assert f"Sales kit for lead #{lead_id}" in short and "3 items" in short
        assert "• *Argument*: Decisions in milliseconds" in short
        assert "• *Offer*: Bundle: 3 for the price of 2.5 — _valid until 2099-12-31_" in short
        assert "Inbetriebnahme vor Ort &lt;Checkliste&gt;" in short  # no English text: German
        assert "under 5 ms" not in short and "Schritt 1:" not in short  # no wall of text

        def now_showing(words: str):
            message = slack_emulator.message(dm, kit.ts)
            return message if words in message.all_text else None

        pressed = await world.driver.press_button("kit_details", user="U0001", channel=dm)
        assert pressed.status == 200
        expanded = await slack_emulator.wait_for_async(lambda: now_showing("under 5 ms"))
        assert "Quote PAKET-X200 when ordering." in expanded.all_text
        assert "Schritt 49: Der Techniker prüft Anschluss 49 &amp; Erdung." in expanded.all_text
        assert [b["action_id"] for b in expanded.buttons()] == ["kit_less"]

        await world.driver.press_button("kit_less", user="U0001", channel=dm)
        folded = await slack_emulator.wait_for_async(lambda: now_showing("Show details"))
        assert "under 5 ms" not in folded.all_text and "3 items" in folded.all_text

        # Someone else pressing the button (a forged request) sees nothing of it.
        before = slack_emulator.message(dm, kit.ts).all_text
        await world.driver.press_button("kit_details", user="U0002", channel=dm)
        told = await slack_emulator.wait_for_async(lambda: slack_emulator.ephemerals(user="U0002"))
        assert "cannot be shown" in told[-1].all_text or "nicht mehr anzeigen" in told[-1].all_text
        assert slack_emulator.message(dm, kit.ts).all_text == before

        # Once the lead is handed back, its kit cannot be opened any more.
        await world.driver.press_button(
            "lead_more", user="U0001", channel=dm, option=f"hand_back:{lead_id}"
        )
        await slack_emulator.wait_for_async(lambda: slack_emulator.modal("U0001"))
        await world.driver.submit_view(user="U0001", values={"reason_select": "no_capacity"})
        await world.wait_staff(f"Lead #{lead_id} handed back")
        assert (await world.lead(lead_id)).owner_partner_id is None
        await world.driver.press_button("kit_details", user="U0001", channel=dm)
        gone = await slack_emulator.wait_for_async(
            lambda: [
                e
                for e in slack_emulator.ephemerals(user="U0001")
                if "cannot be shown" in e.all_text
            ]
        )
        assert "lead is no longer yours" in gone[-1].all_text
        assert "under 5 ms" not in slack_emulator.message(dm, kit.ts).all_text


# --- Telegram ---------------------------------------------------------------------------


async def _kit(world: World, user: int):
    await world.driver.press(user, "claim:", chat_id=world.groups[0])
    return await world.private(user, lambda m: bool(m.button("kit:")))


async def test_telegram_kit_pages_one_item_a_screen(
    make_settings, telegram_emulator, tmp_path: Path
) -> None:
    settings = telegram_settings(make_settings, telegram_emulator, content=library(tmp_path))
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        tg, driver, user = world.tg, world.driver, world.users[0]
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        kit = await _kit(world, user)
        text = kit.plain_text
        assert text.startswith(f"📎 Verkaufsunterlagen zu Lead #{lead_id}") and "3 Einträge" in text
        assert "• Argument: Entscheidungen in Millisekunden" in text
        assert "• Angebot: Paket: 3 zum Preis von 2,5 — gültig bis 31.12.2099" in text
        assert "• Service: Inbetriebnahme vor Ort <Checkliste>" in text
        assert "unter 5 ms" not in text and len(text) <= SCREEN
        [details] = kit.buttons()
        ref = details["callback_data"].split(":")[1]
        assert details == {"text": "Details ›", "callback_data": f"kit:{ref}:1"}

        def shown():
            return tg.message(user, kit.message_id)

        seen: list[str] = []
        page = 1
        await driver.press(user, f"kit:{ref}:1", message_id=kit.message_id)
        while True:
            current = await tg.wait_for_async(
                lambda p=page: shown() if f" · {p}/" in shown().plain_text else None
            )
            assert len(current.plain_text) <= SCREEN, len(current.plain_text)
            seen.append(current.plain_text)
            data = [b["callback_data"] for b in current.buttons()]
            if f"kit:{ref}:{page + 1}" not in data:
                break
            back = [f"kit:{ref}:{page - 1}"] if page > 1 else []
            assert data == [*back, f"kit:{ref}:0", f"kit:{ref}:{page + 1}"]
            page += 1
            await driver.press(user, f"kit:{ref}:{page}", message_id=kit.message_id)
        assert page >= 4  # three items, the long one on more than one screen
        assert "unter 5 ms" in seen[0] and "PAKET-X200" in seen[1]
        assert "Service: Inbetriebnahme vor Ort <Checkliste> …" in seen[3]  # where one is
        everything = "\n".join(seen)
        assert "Schritt 0: Der Techniker prüft Anschluss 0 & Erdung." in everything
        assert "Schritt 49:" in everything
        assert shown().message_id == kit.message_id and shown().edited  # one message, edited

        await driver.press(user, f"kit:{ref}:0", message_id=kit.message_id)
        await tg.wait_for_async(lambda: shown() if "3 Einträge" in shown().plain_text else None)

        # Strict callbacks: a page that cannot exist is not understood; changes nothing.
        before = shown().plain_text
        await driver.press_button(user, shown(), f"kit:{ref}:100")
        await driver.press_button(user, shown(), f"kit:{ref}")
        answers = [a.text for a in tg.callback_answers(user)[-2:]]
        assert all(a and "veraltet" in a for a in answers), answers
        # Another rep pressing the kit's button (a forged update) is told, sees nothing.
        other = world.users[1]
        await driver.press_button(other, shown(), f"kit:{ref}:1")
        [told] = tg.callback_answers(other)
        assert told.show_alert and "nicht mehr anzeigen" in told.text
        assert shown().plain_text == before
        await world.settled()
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED
