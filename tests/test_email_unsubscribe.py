"""A partner's lead inbox stops its teaser mails with one click (RFC 8058), and staff undo it.

The partner P0 has a Telegram group, a lead inbox (``leads@p0.example``) and a Telegram
staff chat watches the feed. Every teaser mail carries ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` and the same link in its footer; a ``POST`` to it (as a mail
provider sends it: ``List-Unsubscribe=One-Click``, no cookie, no form of ours) stops the
teaser mails — the Telegram group still gets its teasers — and staff hear of it once. A
``GET`` (a person, a mail scanner) only shows a page with a button. Hostile and stale
tokens are refused with a 4xx page and change nothing. ``leadbot partners email-teasers
P0 --on`` resumes; a partners import with the same address keeps the stop, a different
address ends it.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from tests.emulators.fixtures import TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET
from tests.emulators.smtp import Mail, SmtpServer, token_of
from tests.emulators.telegram import TelegramEmulator
from tests.support.cli import leadbot
from tests.support.email_world import LINK_SECRET, PUBLIC_URL, Browser
from tests.support.telegram_world import World, telegram_world
from tests.test_email_fallback import settings_with_email
from tests.test_email_links import flip_signature, tampered

INBOX = "leads@p0.example"
STAFF_CHAT = -100778
STOPPED = (
    "Partner Partner 0 bekommt keine Teaser mehr per E-Mail (abbestellt über den Link in der Mail)."
)
UNREACHED = "hat auch keinen Chat für Teaser"
UNSUBSCRIBE = re.compile(r"https://leadbot\.example/email/unsubscribe\?t=[A-Za-z0-9_\-.]+")


def settings(make_settings, tg: TelegramEmulator, smtp: SmtpServer):
    """E-mail and Telegram, with a (German) staff chat on Telegram."""
    tg.add_group(STAFF_CHAT, "leadbot staff")
    return settings_with_email(make_settings, tg, smtp, telegram={"staff_chat_id": STAFF_CHAT})


def unsubscribe_url(mail: Mail) -> str:
    """The URL in the mail's ``List-Unsubscribe`` header, which must be the footer's too."""
    header = str(mail.message["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">"), header
    url = header[1:-1]
    assert UNSUBSCRIBE.fullmatch(url), url
    return url


def path_of(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


async def one_click(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """What a mail provider posts for RFC 8058 one-click: no cookie, no token field."""
    return await http.post(
        path_of(url),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def partners_cli(database_url: str, *args: str, **env: str):
    """``leadbot partners …`` with the bot's chats: Telegram (and its staff chat), no console."""
    return leadbot(
        database_url,
        "partners",
        *args,
        LEADBOT_CONSOLE__ENABLED="false",
        LEADBOT_TELEGRAM__ENABLED="true",
        LEADBOT_TELEGRAM__TOKEN=TELEGRAM_TOKEN,
        LEADBOT_TELEGRAM__WEBHOOK_SECRET=TELEGRAM_WEBHOOK_SECRET,
        LEADBOT_TELEGRAM__STAFF_CHAT_ID=str(STAFF_CHAT),
        **env,
    )


def staff_feed(world: World) -> list[str]:
    """Every line of the staff chat, without the feed's icon."""
    return [m.plain_text.removeprefix("📋 ") for m in world.tg.bot_messages(STAFF_CHAT)]


def staff_lines(world: World) -> list[str]:
    """The staff chat's lines about teaser mails, without the feed's icon."""
    return [text for text in staff_feed(world) if "per E-Mail" in text]


async def teaser_round(world: World, smtp: SmtpServer, mails_before: int) -> int:
    """Post a lead and wait until its teaser is in the Telegram group and everything queued
    was delivered; how many mails the inbox has then."""
    teasers = len([m for m in world.tg.bot_messages(world.groups[0]) if m.button("claim:")])
    await world.post_lead()
    await world.tg.wait_for_async(
        lambda: (
            len([m for m in world.tg.bot_messages(world.groups[0]) if m.button("claim:")]) > teasers
        ),
        timeout=10,
    )
    await world.settled()
    return len(smtp.to(INBOX))


async def test_one_click_post_stops_the_teaser_mails_and_staff_hear_once(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    config = settings(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(config, telegram_emulator, partners=1, inboxes=True) as world:
        await world.post_lead()
        teaser = await smtp_server.wait_for_mail(INBOX)
        url = unsubscribe_url(teaser)
        assert teaser.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        footer = f"Keine Teaser mehr an diese Adresse? Hier abbestellen:\r\n{url}\r\n"
        assert teaser.text.endswith(footer), teaser.text
        assert f'<a href="{url}"' in teaser.html and "Hier abbestellen</a>" in teaser.html
        assert len(teaser.links()) == 2  # Claim and "Not for us" as before

        async with httpx.AsyncClient(base_url=world.bot.url, timeout=30) as http:
            first = await one_click(http, url)
            assert first.status_code == 200, first.text
            assert "An leads@p0.example gehen keine Teaser-Mails mehr." in first.text
            # Idempotent: the same answer, nothing more (this time as multipart/form-data,
            # which RFC 8058 allows too).
            again = await http.post(path_of(url), files={"List-Unsubscribe": (None, "One-Click")})
            assert again.status_code == 200 and "keine Teaser-Mails mehr" in again.text

        await world.tg.wait_for_async(lambda: staff_lines(world), timeout=10)
        # The next lead: its teaser reaches the Telegram group, but no mail the inbox.
        assert await teaser_round(world, smtp_server, 1) == 1
        assert staff_lines(world) == [STOPPED]
        assert not [line for line in staff_feed(world) if UNREACHED in line]


async def test_opening_the_link_stops_nothing_its_button_does(
    make_settings, telegram_emulator: TelegramEmulator, smtp_server: SmtpServer
) -> None:
    """A mail scanner GETs (and HEADs) every link: that must not unsubscribe. The page it
    gets has one button, which a person presses."""
    config = settings(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(config, telegram_emulator, partners=1, inboxes=True) as world:
        await world.post_lead()
        url = unsubscribe_url(await smtp_server.wait_for_mail(INBOX))
        async with httpx.AsyncClient(base_url=world.bot.url, timeout=30) as http:
            page = await http.get(path_of(url))
            head = await http.head(path_of(url))
        assert page.status_code == 200 and head.status_code == 200
        assert '<form method="post">' in page.text
        assert "Keine Teaser mehr an diese Adresse</button>" in page.text
        assert "leads@p0.example" in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"

        assert await teaser_round(world, smtp_server, 1) == 2  # still mailed
        assert staff_lines(world) == []

        browser = Browser(world.bot.url)
        form = dict(Browser._page(page).form.fields)
        assert form == {"t": token_of(url)}
        pressed = await browser.http.post(path_of(url), data=form)
        assert pressed.status_code == 200, pressed.text
        assert await teaser_round(world, smtp_server, 2) == 2  # stopped now
        await world.tg.wait_for_async(lambda: staff_lines(world), timeout=10)
        assert staff_lines(world) == [STOPPED]
        await browser.close()


async def test_hostile_and_stale_links_are_refused_and_change_nothing(
    make_settings,
    telegram_emulator: TelegramEmulator,
    smtp_server: SmtpServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    config = settings(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(config, telegram_emulator, partners=2, inboxes=True) as world:
        await world.post_lead()
        teaser = await smtp_server.wait_for_mail(INBOX)
        url = unsubscribe_url(teaser)
        token = token_of(url)
        claim = token_of(teaser.links()[0])

        def signed(partner: str, address: str) -> str:
            """A token signed with the link secret (what a leak or a bug could produce)."""
            from bot.handlers.email.links import NEVER, Purpose, address_digest, new_link, sign

            link = new_link(Purpose.UNSUBSCRIBE, 0, partner, NEVER, address_digest(address))
            return sign(link, LINK_SECRET)

        refusals = {  # what: (token, status, the page says)
            "not signed by us": (flip_signature(token), 403, "ungültig"),
            "another partner named": (tampered(token, w="P1"), 403, "ungültig"),
            "cut off": (token[: len(token) // 2], 400, "unvollständig"),
            "no signature": (token.partition(".")[0], 400, "unvollständig"),
            "a claim link": (claim, 400, "gehört nicht auf diese Seite"),
            "unknown partner": (signed("NOPE", INBOX), 404, "gibt es bei leadbot nicht mehr"),
            "another partner's inbox": (signed("P1", INBOX), 410, "nicht mehr die Lead-Adresse"),
        }
        async with httpx.AsyncClient(base_url=world.bot.url, timeout=30) as http:
            for what, (bad, status, said) in refusals.items():
                for answer in (
                    await http.get("/email/unsubscribe", params={"t": bad}),
                    await http.post("/email/unsubscribe", params={"t": bad}),
                    await http.post("/email/unsubscribe", data={"t": bad}),
                ):
                    assert answer.status_code == status, (what, answer.status_code)
                    assert said in answer.text, (what, answer.text)
                    assert "<form" not in answer.text, what
            # The page's token and the address's must be the same link.
            mixed = await http.post(path_of(url), data={"t": signed("P1", "leads@p1.example")})
            assert mixed.status_code == 400 and "zwei verschiedene Links" in mixed.text
            # An unsubscribe link at the claim page is no claim.
            act = await http.get("/email/act", params={"t": token})
            assert act.status_code == 400 and "gehört nicht auf diese Seite" in act.text
            assert await teaser_round(world, smtp_server, 1) == 2  # nothing was stopped

            # The partner's inbox moves (partners import): the old link changes nothing.
            csv = tmp_path / "partners.csv"
            csv.write_text(
                "id,name,tier,country,email\nP0,Partner 0,gold,DE,new-leads@p0.example\n",
                encoding="utf-8",
            )
            imported = await asyncio.to_thread(
                leadbot, database_url, "partners", "import", str(csv)
            )
            assert imported.exit_code == 0, imported.output
            stale = await one_click(http, url)
            assert stale.status_code == 410
            assert "Dieser Link gilt nicht mehr" in stale.text and "Partner 0" in stale.text
        await world.post_lead()
        await smtp_server.wait_for_mail("new-leads@p0.example")
        assert staff_lines(world) == []


async def test_staff_resume_and_a_reimport_keeps_or_ends_the_stop(
    make_settings,
    telegram_emulator: TelegramEmulator,
    smtp_server: SmtpServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    config = settings(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(config, telegram_emulator, partners=1, inboxes=True) as world:

        def cli(*args: str):
            return partners_cli(database_url, *args)

        def partners_csv(address: str) -> str:
            path = tmp_path / "partners.csv"
            path.write_text(
                f"id,name,tier,country,email\nP0,Partner 0,gold,DE,{address}\n", encoding="utf-8"
            )
            return str(path)

        await world.post_lead()
        url = unsubscribe_url(await smtp_server.wait_for_mail(INBOX))
        async with httpx.AsyncClient(base_url=world.bot.url, timeout=30) as http:
            assert (await one_click(http, url)).status_code == 200
        shown = await asyncio.to_thread(cli, "email-teasers", "P0")
        assert shown.exit_code == 0, shown.output
        assert "gets no teaser mails at leads@p0.example (stopped " in shown.output

        # Re-importing the same address (upper-case in the file, as exports do) keeps it.
        kept = await asyncio.to_thread(cli, "import", partners_csv("Leads@P0.example"))
        assert kept.exit_code == 0, kept.output
        assert await teaser_round(world, smtp_server, 1) == 1

        resumed = await asyncio.to_thread(cli, "email-teasers", "P0", "--on")
        assert resumed.exit_code == 0, resumed.output
        assert "Partner P0 (Partner 0) gets teaser mails at leads@p0.example." in resumed.output
        again = await asyncio.to_thread(cli, "email-teasers", "P0", "--on")
        assert "Nothing changed." in again.output
        assert await teaser_round(world, smtp_server, 1) == 2
        unknown = await asyncio.to_thread(cli, "email-teasers", "NOPE", "--on")
        assert unknown.exit_code == 1 and "no partner with id 'NOPE'" in unknown.output

        # Stopped again by the old link (it does not expire); a new address ends the stop.
        async with httpx.AsyncClient(base_url=world.bot.url, timeout=30) as http:
            assert (await one_click(http, url)).status_code == 200
        assert await teaser_round(world, smtp_server, 2) == 2
        moved = await asyncio.to_thread(cli, "import", partners_csv("team@p0.example"))
        assert moved.exit_code == 0, moved.output
        await world.post_lead()
        await smtp_server.wait_for_mail("team@p0.example")

        await world.tg.wait_for_async(lambda: len(staff_lines(world)) >= 4, timeout=10)
        assert staff_lines(world) == [
            STOPPED,
            "Partner Partner 0 bekommt wieder Teaser per E-Mail (eingeschaltet von Mitarbeitenden).",
            STOPPED,
            "Partner Partner 0 bekommt wieder Teaser per E-Mail: Der Partner-Import gab ihm "
            "eine neue Adresse (die alte hatte abbestellt).",
        ]


async def test_a_partner_left_with_no_channel_is_named_to_staff_with_what_to_do(
    make_settings,
    telegram_emulator: TelegramEmulator,
    smtp_server: SmtpServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    """P0 has only its lead inbox (the partners CSV cleared its Telegram group): once that
    unsubscribes, leads are still offered to P0 but nobody sees them. Staff read so, with
    the command that pauses it — for the link and for ``--off`` alike, not for ``--on``."""
    config = settings(make_settings, telegram_emulator, smtp_server)
    async with telegram_world(config, telegram_emulator, partners=1, inboxes=True) as world:
        csv = tmp_path / "partners.csv"
        csv.write_text(
            f"id,name,tier,country,telegram_chat_id,email\nP0,Partner 0,gold,DE,-,{INBOX}\n",
            encoding="utf-8",
        )
        imported = await asyncio.to_thread(partners_cli, database_url, "import", str(csv))
        assert imported.exit_code == 0, imported.output
        await world.post_lead()
        url = unsubscribe_url(await smtp_server.wait_for_mail(INBOX))
        async with httpx.AsyncClient(base_url=world.bot.url, timeout=30) as http:
            assert (await one_click(http, url)).status_code == 200
        unreached = (
            "Partner Partner 0 hat auch keinen Chat für Teaser: Leads werden ihm weiter "
            "angeboten, aber dort sieht sie niemand. Pausieren Sie ihn (leadbot partners pause "
            "P0) oder tragen Sie im Partner-CSV einen Slack-Kanal oder Telegram-Chat ein."
        )
        await world.tg.wait_for_async(lambda: unreached in staff_feed(world), timeout=10)
        assert staff_lines(world) == [STOPPED]

        # A command whose own settings enable e-mail, as the server's do: the inbox it
        # just stopped must not count as P0's channel.
        mail = {"LEADBOT_EMAIL__ENABLED": "true", "LEADBOT_EMAIL__FROM_ADDRESS": "lb@maker.example"}
        for switch in ("--on", "--off"):
            switched = await asyncio.to_thread(
                partners_cli, database_url, "email-teasers", "P0", switch, **mail
            )
            assert switched.exit_code == 0, switched.output
        await world.tg.wait_for_async(
            lambda: [line for line in staff_feed(world) if UNREACHED in line] == [unreached] * 2,
            timeout=10,
        )
        feed = staff_feed(world)
        assert feed[-1] == unreached and "abgestellt von" in feed[-2], feed
