"""Commands for reps and staff, the staff chat's feed, refusals, and escaping of lead text."""

from __future__ import annotations

from sqlalchemy import update

from bot.models import LeadStatus, Offer, OfferStatus, Partner
from tests.support.factories import add_partner
from tests.support.telegram_world import telegram_settings, telegram_world

STAFF_USER = 9_001
STAFF_CHAT = -4_242


def _staff_settings(make_settings, telegram_emulator):
    telegram_emulator.add_group(STAFF_CHAT, "Staff")
    return telegram_settings(
        make_settings,
        telegram_emulator,
        telegram={"staff_chat_id": STAFF_CHAT},
        staff={"telegram_users": [STAFF_USER], "language": "en"},
    )


async def test_rep_commands_and_lead_text_is_escaped(make_settings, telegram_emulator):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        driver, tg = world.driver, world.tg
        name = "Müller <b>&</b> Söhne"
        lead_id = await world.post_lead(
            **{"company.name": name, "interest.message": "Bitte <i>nicht</i> vor 10 & nach 17"}
        )
        await world.teaser(world.groups[0])
        user = world.users[0]
        await driver.press(user, "claim:", chat_id=world.groups[0])
        card = await world.private(user, lambda m: bool(m.button(f"st:{lead_id}:")))
        assert f"Lead #{lead_id}: {name}" in card.plain_text
        assert "Bitte <i>nicht</i> vor 10 & nach 17" in card.plain_text
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in card.text  # sent escaped, shown literally
        kinds = {e["type"] for e in card.entities}
        assert kinds <= {"bold", "italic", "url", "phone_number", "email"}

        await world.settled()
        await driver.command(user, "leads")
        listing = await world.private(user, lambda m: bool(m.button("open:")))
        assert name in listing.plain_text
        await driver.press(user, f"open:{lead_id}", message_id=listing.message_id)
        fresh = await world.private(
            user, lambda m: m.message_id > listing.message_id and bool(m.button("st:"))
        )
        # The card opened last is the one kept current.
        await driver.press(user, f"st:{lead_id}:contacted", message_id=fresh.message_id)
        await world.settled()
        assert "kontaktiert" in tg.message(user, fresh.message_id).plain_text

        # Details never go to a group; other partners' reps cannot open the lead.
        await driver.command(user, "lead", str(lead_id), chat_id=world.groups[0], mention_bot=True)
        pointer = await tg.wait_for_async(
            lambda: next(
                (m for m in tg.bot_messages(world.groups[0]) if "privaten" in m.plain_text), None
            )
        )
        assert pointer.buttons()[0]["url"] == "https://t.me/leadbot_test_bot"
        assert name not in pointer.plain_text
        other = world.users[1]
        await driver.command(other, "lead", str(lead_id))
        refusal = await world.private(other, lambda m: "gehört nicht" in m.plain_text)
        assert name not in refusal.plain_text


async def test_claim_refusals_explain_why(make_settings, telegram_emulator):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        driver, tg = world.driver, world.tg
        lead_id = await world.post_lead()
        teaser = await world.teaser(world.groups[0])
        data = teaser.button("claim:")["callback_data"]
        stranger = driver.user(5_555, "Sam", language_code="en")
        await driver.press_button(stranger, teaser, data)
        [answer] = tg.callback_answers(5_555)
        assert answer.show_alert and "not linked" in (answer.text or "")
        # Writing to the bot, the stranger was told to use "the buttons under your leads":
        # they have none. They are told how to get linked.
        await driver.send_text(stranger, "hello?")
        await world.private(5_555, lambda m: "not linked to a partner's sales rep" in m.plain_text)
        assert not any("buttons under your leads" in m.plain_text for m in tg.bot_messages(5_555))
        # The rep of partner 1 presses partner 0's button (e.g. forwarded teaser).
        await driver.press_button(world.users[1], teaser, data)
        [answer] = tg.callback_answers(world.users[1])
        assert answer.show_alert and "nicht angeboten" in (answer.text or "")
        forged = await driver.press_button(world.users[0], teaser, "claim:abc")
        assert forged.status == 200
        [answer] = tg.callback_answers(world.users[0])
        assert answer.show_alert
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED


async def test_staff_commands_and_the_staff_chat_feed(make_settings, telegram_emulator):
    settings = _staff_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=2) as world:
        driver, tg = world.driver, world.tg
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        await driver.press(world.users[0], "claim:", chat_id=world.groups[0])
        claimed = await tg.wait_for_async(
            lambda: next(
                (m for m in tg.bot_messages(STAFF_CHAT) if "claimed by" in m.plain_text), None
            )
        )
        assert f"Lead #{lead_id} claimed by Partner 0 (Rep 0)" in claimed.plain_text

        boss = driver.user(STAFF_USER, "Stefanie", language_code="en")
        await driver.command(boss, "leads", chat_id=STAFF_CHAT, mention_bot=True)
        pipeline = await tg.wait_for_async(
            lambda: next(
                (m for m in tg.bot_messages(STAFF_CHAT) if "Pipeline" in m.plain_text), None
            )
        )
        assert f"#{lead_id} claimed" in pipeline.plain_text and "P0" in pipeline.plain_text

        await driver.command(boss, "explain", str(lead_id))
        why = await world.private(STAFF_USER, lambda m: f"Lead {lead_id}" in m.plain_text)
        assert any(e["type"] == "pre" for e in why.entities)
        # in the staff language (English here), as a monospace table
        assert f"Lead {lead_id}: status claimed, round 1 wave 1, owner P0" in why.plain_text
        assert "as of now:" in why.plain_text and "Eligible, best first" in why.plain_text

        # A rep may not use staff commands.
        await driver.command(world.users[1], "recall", str(lead_id))
        await world.private(
            world.users[1],
            lambda m: "staff" in m.plain_text.lower() or "Mitarbeitende" in m.plain_text,
        )
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED

        await driver.command(boss, "recall", str(lead_id))
        await world.private(STAFF_USER, lambda m: "recalled" in m.plain_text)
        lead = await world.lead(lead_id)
        assert lead.status is LeadStatus.OFFERED and lead.owner_partner_id is None

        # Erasure asks first; Cancel keeps the data, Erase removes it.
        await driver.command(boss, "erase", str(lead_id))
        confirm = await world.private(STAFF_USER, lambda m: bool(m.button(f"erase:{lead_id}")))
        await driver.press(boss, f"cancel:{lead_id}", message_id=confirm.message_id)
        assert (await world.lead(lead_id)).status is LeadStatus.OFFERED
        await driver.command(boss, "erase", str(lead_id))
        confirm = await world.private(
            STAFF_USER, lambda m: m.message_id > confirm.message_id and bool(m.button("erase:"))
        )
        await driver.press(boss, f"erase:{lead_id}", message_id=confirm.message_id)
        await world.private(STAFF_USER, lambda m: "erased" in m.plain_text)
        assert (await world.lead(lead_id)).status is LeadStatus.ERASED


async def test_added_to_a_group_the_bot_tells_its_chat_id(make_settings, telegram_emulator):
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        telegram_emulator.add_group(-1_009_999, "Neuer Partner")
        bot = {"id": 123456789, "is_bot": True, "first_name": "Leadbot"}
        admin = {"id": 31, "is_bot": False, "first_name": "Ida", "language_code": "en"}
        added = await world.driver.deliver(
            {
                "my_chat_member": {
                    "chat": {"id": -1_009_999, "type": "supergroup", "title": "Neuer Partner"},
                    "from": admin,
                    "date": 0,
                    "old_chat_member": {"status": "left", "user": bot},
                    "new_chat_member": {"status": "member", "user": bot},
                }
            }
        )
        assert added.status == 200
        hello = await world.tg.wait_for_async(lambda: world.tg.last_message(-1_009_999))
        assert "-1009999" in hello.plain_text and "telegram_chat_id" in hello.plain_text
        assert any(e["type"] == "code" for e in hello.entities)


async def test_help_lists_the_commands_in_the_reps_language(make_settings, telegram_emulator):
    """``/help`` for a German rep: the commands with German descriptions and the German
    hint how to claim; nothing English, no staff commands."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        user = world.users[0]
        await world.driver.command(user, "help")
        shown = (await world.private(user, lambda m: "/leads" in m.plain_text)).plain_text
    assert "Ihre offenen Leads" in shown and "Erstkontakt melden" in shown
    assert "Neue Leads übernehmen Sie mit dem Knopf" in shown
    assert "your open leads" not in shown and "report first contact" not in shown
    assert "/recall" not in shown and "/erase" not in shown


async def test_a_mistyped_command_is_answered_naming_the_command_once(
    make_settings, telegram_emulator
):
    """Every refusal of a typed command starts with the command (``/followup: …``); one
    that names no command (a control character) says only what is wrong — never a stray
    ``/`` glued to its first word ("/Kein Datum")."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver, user = world.driver, world.users[0]
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        await driver.press(user, "claim:", chat_id=world.groups[0])
        await world.private(user, lambda m: bool(m.button(f"st:{lead_id}:")))

        await driver.command(user, "followup", f"{lead_id} gestern")
        date = await world.private(user, lambda m: "'gestern'" in m.plain_text)
        assert date.plain_text.startswith("⚠️ /followup: Kein Datum: 'gestern'"), date.plain_text

        await driver.command(user, "pause", "P0 bis gestern")
        until = await world.private(user, lambda m: "'gestern'" in m.plain_text and m is not date)
        assert until.plain_text.startswith("⚠️ /pause: Kein Datum"), until.plain_text

        await driver.command(user, "contacted", f"{lead_id} Anruf\x07")
        control = await world.private(user, lambda m: "Steuerzeichen" in m.plain_text)
        assert control.plain_text.startswith("⚠️ Ihre Nachricht enthält ein Steuerzeichen")
        assert (await world.lead(lead_id)).status is LeadStatus.CLAIMED


async def test_a_long_mistyped_command_is_answered_with_the_start_of_what_was_typed(
    make_settings, telegram_emulator
):
    """A command whose wrong part is a pasted wall of text is answered naming its start —
    not echoed whole: that made answers of about the length Telegram takes at most (4096
    characters), and one longer than that never reached the rep at all."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver, user = world.driver, world.users[0]
        pasted = "Kunde möchte erst im Frühjahr entscheiden, bitte melden " * 71  # ~4050 characters
        for verb, args in (("won", f"1 {pasted}"), ("lead", pasted.replace(" ", "_"))):
            await driver.command(user, verb, args)
            answer = await world.private(
                user, lambda m, v=verb: m.plain_text.startswith(f"⚠️ /{v}:")
            )
            assert "'Kunde" in answer.plain_text and "…'" in answer.plain_text, answer.plain_text
            assert len(answer.plain_text) < 400, len(answer.plain_text)
        assert all(c.status == 200 for c in world.tg.calls("sendMessage"))


async def test_teasers_in_a_group_point_to_the_private_chat_as_teasers(
    make_settings, telegram_emulator
):
    """``/teasers`` in the partner's group is no request for lead details: the answer
    says where the offers are (in the group, with their Claim button) and that a list is in
    the private chat — not "Lead-Details zeige ich nur im privaten Chat"."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver, tg, group = world.driver, world.tg, world.groups[0]
        await world.post_lead()
        await world.teaser(group)
        await driver.command(world.users[0], "teasers", chat_id=group, mention_bot=True)
        pointer = await tg.wait_for_async(
            lambda: next((m for m in tg.bot_messages(group) if "privaten" in m.plain_text), None)
        )
        assert "offenen Angebote" in pointer.plain_text and "Übernehmen" in pointer.plain_text
        assert "Lead-Details" not in pointer.plain_text
        assert pointer.buttons()[0]["url"] == "https://t.me/leadbot_test_bot"


async def test_claim_and_whoami_in_a_group_are_pointed_to_the_private_chat_in_their_words(
    make_settings, telegram_emulator
):
    """``/claim 1`` and ``/whoami`` typed in the partner's group asked for no lead details,
    yet were told "Lead-Details zeige ich nur im privaten Chat"."""
    settings = telegram_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        driver, tg, group = world.driver, world.tg, world.groups[0]
        lead_id = await world.post_lead()
        await world.teaser(group)
        said: list[str] = []
        for command, args in (("claim", ("1",)), ("whoami", ())):
            await driver.command(world.users[0], command, *args, chat_id=group, mention_bot=True)
            pointer = await tg.wait_for_async(
                lambda: next(
                    (
                        m
                        for m in tg.bot_messages(group)
                        if "privaten" in m.plain_text and m.plain_text not in said
                    ),
                    None,
                )
            )
            said.append(pointer.plain_text)
        assert "mit dem Knopf „Übernehmen“" in said[0] and "/claim" in said[0]
        assert said[1].startswith("Wer Sie für leadbot sind")
        assert not any("Lead-Details" in text for text in said)
        assert (await world.lead(lead_id)).status is not LeadStatus.CLAIMED


async def test_leads_of_a_busy_rep_arrive_whole_in_several_messages(
    make_settings, telegram_emulator
):
    """``/leads`` of a rep with 14 open leads of companies with long names (300 characters,
    as the API allows): more than Telegram takes in one message (4096) — it comes as
    several, every lead listed, the buttons under the last."""
    settings = telegram_settings(
        make_settings,
        telegram_emulator,
        telegram={"group_per_minute": 6000, "group_burst": 100},  # flood limits: own tests
    )
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        async with world.runtime.uow() as uow:
            await uow.session.execute(update(Partner).values(max_open_leads=50))
            await uow.commit()
        user, driver, tg = world.users[0], world.driver, world.tg
        ids = []
        for n in range(14):
            name = f"Müller & Söhne Nr. {n} " + "Brauerei und Mälzerei " * 12
            lead_id = await world.post_lead(**{"company.name": name[:300]})
            [offer] = await world.offers(lead_id)
            await driver.command(user, "claim", str(offer.id))
            ids.append(lead_id)
        for lead_id in ids:
            await world.private(user, lambda m, i=lead_id: bool(m.button(f"st:{i}:")))
        await world.settled()
        before = tg.bot_messages(user)[-1].message_id

        await driver.command(user, "leads")
        listed = await tg.wait_for_async(
            lambda: (
                [m for m in tg.bot_messages(user) if m.message_id > before]
                if tg.bot_messages(user)[-1].buttons()
                else None
            )
        )
        assert all(call.status == 200 for call in tg.calls("sendMessage", chat_id=user))
        assert len(listed) >= 2
        text = "\n".join(m.plain_text for m in listed)
        for lead_id in ids:
            assert f"#{lead_id} Müller & Söhne Nr." in text
        assert listed[-1].button("open:") is not None


async def test_staff_explain_lists_every_partner_and_counts_what_five_messages_do_not_hold(
    make_settings, telegram_emulator
):
    """``/explain`` in a chat lists every partner (it cut at 20 with a hint to a CLI flag,
    "--limit 0", nobody can type in Telegram); a lead checked against hundreds of partners
    takes at most five messages, the last counting the lines left and naming the command
    that shows them all."""
    settings = _staff_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        async with world.runtime.uow() as uow:  # ineligible: no teaser, one line each
            for n in range(300):
                await add_partner(uow, f"Q{n:03d}", name=f"Ferner {n:03d}", regions=["FR"])
            await uow.commit()
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])

        boss = world.driver.user(STAFF_USER, "Stefanie", language_code="en")
        await world.driver.command(boss, "explain", str(lead_id))
        last = await world.private(STAFF_USER, lambda m: "more lines" in m.plain_text)
        answer = [m for m in world.tg.bot_messages(STAFF_USER) if f"Lead {lead_id}" in m.plain_text]
        shown = [
            m for m in world.tg.bot_messages(STAFF_USER) if m.message_id >= answer[0].message_id
        ]
        assert len(shown) == 5 and shown[-1].message_id == last.message_id
        text = "\n".join(m.plain_text for m in shown)
        assert "Q000 Ferner 000" in text and "Q020 Ferner 020" in text  # past the old 20
        assert "--limit 0 shows all" not in text
        listed = sum(f"Q{n:03d} Ferner" in text for n in range(300))
        left = int(last.plain_text.split("… and ")[1].split(" more lines")[0])
        assert left > 0 and listed + left >= 300
        assert f"all of them with leadbot explain {lead_id} --limit 0." in last.plain_text


async def test_staff_report_lists_the_partners_and_counts_what_five_messages_do_not_hold(
    make_settings, telegram_emulator
):
    """``/report`` listed no partner and no campaign at all (the template cut them at the
    leads' limit, which the report set to 0), and ``/leads`` cut them at 30 unsaid. Now every
    one is listed, in at most five messages; the rest is counted, pointing to the cockpit."""
    settings = _staff_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        lead_id = await world.post_lead()
        await world.teaser(world.groups[0])
        async with world.runtime.uow() as uow:  # 300 partners offered an earlier round
            for n in range(300):
                await add_partner(uow, f"Q{n:03d}", name=f"Ferner {n:03d}", regions=["FR"])
                uow.session.add(
                    Offer(
                        lead_id=lead_id,
                        partner_id=f"Q{n:03d}",
                        round=0,
                        wave=1,
                        rank=n + 1,
                        status=OfferStatus.CLOSED,
                    )
                )
            await uow.commit()

        boss = world.driver.user(STAFF_USER, "Stefanie", language_code="en")
        await world.driver.command(boss, "report")
        last = await world.private(STAFF_USER, lambda m: "more lines" in m.plain_text)
        answer = world.tg.bot_messages(STAFF_USER)
        assert len(answer) == 5 and answer[-1].message_id == last.message_id
        text = "\n".join(m.plain_text for m in answer)
        listed = sum(f"Ferner {n:03d} —" in text for n in range(300))
        assert listed > 30  # past the old cut
        left = int(last.plain_text.split("… and ")[1].split(" more lines")[0])
        assert listed + left >= 300
        assert "all of them in the cockpit (/cockpit)." in last.plain_text


async def test_the_pipeline_counts_the_open_leads_it_does_not_list_and_says_where_they_are(
    make_settings, telegram_emulator
):
    """More open leads than the pipeline lists (30): the rest are counted, with the command
    that opens the cockpit, where all of them are — as on Slack."""
    settings = _staff_settings(make_settings, telegram_emulator)
    async with telegram_world(settings, telegram_emulator, partners=1) as world:
        for _ in range(32):
            await world.post_lead()
        boss = world.driver.user(STAFF_USER, "Stefanie", language_code="en")
        await world.driver.command(boss, "leads", chat_id=STAFF_CHAT, mention_bot=True)
        pipeline = await world.tg.wait_for_async(
            lambda: [m for m in world.tg.bot_messages(STAFF_CHAT) if "Pipeline" in m.plain_text]
        )
        text = "\n".join(m.plain_text for m in pipeline)
        assert "… and 2 more — all of them in the cockpit (/cockpit)." in text, text
