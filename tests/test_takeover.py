"""A colleague takes a lead over inside its partner (docs/lifecycle.md, ``takeover <lead>``).

Through ``leadbot console`` on the demo data (German and English reps of P-DE-001), the
Slack emulator (``/leads takeover 12``), and the console while ``leadbot reps import``
deactivates the rep at its keyboard: the caller gets the card, the previous owner's card
becomes one line naming the colleague, reminders go to the new owner only, staff see it,
and every refusal says why and changes nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.clock import ManualClock
from bot.cockpit.timeline import details, what
from bot.config import Settings
from bot.db import create_engine_sync
from bot.models import LeadEvent, LeadStatus, Rep
from tests.emulators.slack import SlackEmulator
from tests.support.chat_world import ChatWorld, chat_world
from tests.support.cli import EXAMPLES, leadbot, leadbot_process, load_demo
from tests.support.console import Console
from tests.support.drivers.base import Member

MAX = "maximilian.huber@alpen-it.example"  # P-DE-001, manager, German; offer 1 is lead 1
SOPHIE = "sophie.brandl@alpen-it.example"  # P-DE-001, sales, German
JAMES = "james.whitfield@alpen-it.example"  # P-DE-001, sales, English
KATHARINA = "katharina.wolf@ffm-systemintegration.example"  # P-DE-012
COMPANY = "Bergbrauerei Wallner GmbH"  # lead 1's prospect
PROMPT = re.compile(r"^(\S+)> (.+)$", re.MULTILINE)


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Path:
    return load_demo(database_url, tmp_path)


def turns(config: Path, script: list[str]) -> list[tuple[str, str]]:
    """``leadbot console`` reading ``script``: each typed line (``who> line``) with what the
    console printed after it, in order."""
    proc = leadbot_process("console", config=config, stdin="\n".join([*script, "quit", ""]))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    found = list(PROMPT.finditer(out))
    return [
        (typed.group(0), out[typed.end() : found[n + 1].start() if n + 1 < len(found) else None])
        for n, typed in enumerate(found)
    ]


def after(seen: list[tuple[str, str]], typed: str, nth: int = 0) -> str:
    """What the console printed after the ``nth`` line that was ``typed`` (``who> line``)."""
    return [text for line, text in seen if line == typed][nth]


def test_a_colleague_takes_a_lead_over_and_the_owner_s_card_says_who_has_it(demo: Path) -> None:
    seen = turns(
        demo,
        [
            f"as {MAX}",
            "claim 1",
            "contacted 1",
            "followup 1 +2d",
            f"as {SOPHIE}",
            "help",
            "takeover 1",
            "übernehmen 1",
            "takeover 999",
            "takeover 2",
            f"as {KATHARINA}",
            "takeover 1",
            "as staff",
            "help",
            "takeover 1",
            f"as {MAX}",
            "wait 3d",
            f"as {SOPHIE}",
            f"as {MAX}",
            "as staff",
            "lead 1",
        ],
    )
    assert "takeover <Lead-Nr.>" in after(seen, f"{SOPHIE}> help")
    taken = after(seen, f"{SOPHIE}> takeover 1")
    assert taken.startswith(
        "\n✔ Lead #1 gehört jetzt Ihnen (bisher bei Maximilian Huber). Status, Wiedervorlage"
        " und Frist bleiben"
    ), taken
    # Her card, as after a claim: the prospect, the status and follow-up as they were.
    set_on = re.search(
        r"Wiedervorlage am (\d\d\.\d\d\.\d{4})", after(seen, f"{MAX}> followup 1 +2d")
    )
    assert set_on, after(seen, f"{MAX}> followup 1 +2d")
    assert COMPANY in taken and "[kontaktiert]" in taken
    assert f"Wiedervorlage: {set_on.group(1)}" in taken, taken
    assert "Betreut von: Alpen-IT Systemhaus GmbH (Sophie Brandl)" in taken

    # Refusals, each a sentence of its own.
    assert "✖ Lead #1 gehört Ihnen schon." in after(seen, f"{SOPHIE}> übernehmen 1")
    assert "✖ Lead #999 gibt es nicht." in after(seen, f"{SOPHIE}> takeover 999")
    assert "✖ Lead #2 gehört nicht Ihrem Unternehmen." in after(seen, f"{SOPHIE}> takeover 2")
    assert "✖ Lead #1 gehört nicht Ihrem Unternehmen." in after(seen, f"{KATHARINA}> takeover 1")
    assert "takeover" not in after(seen, "staff> help")
    assert "✖ Mitarbeitende übernehmen keine Leads" in after(seen, "staff> takeover 1")

    # Staff see it in the feed.
    assert (
        "Lead #1: Sophie Brandl hat ihn bei Alpen-IT Systemhaus GmbH von Maximilian Huber"
        " übernommen." in after(seen, f"{KATHARINA}> as staff")
    )

    # Maximilian's card became one line without the prospect, and nothing more came.
    told = after(seen, f"staff> as {MAX}", 1)
    assert "✎ Lead #1 hat jetzt Sophie Brandl aus Ihrem Team übernommen." in told, told
    assert COMPANY not in told
    # The follow-up reminder goes to the owner at that moment: Sophie, not Maximilian.
    assert "Wiedervorlage heute: Lead #1." in after(seen, f"{MAX}> as {SOPHIE}", 1)
    assert "Lead #1" not in after(seen, f"{SOPHIE}> as {MAX}")
    assert "Lead #1" not in after(seen, f"{MAX}> wait 3d")

    # The lead kept its status and follow-up; Sophie has it.
    card = after(seen, "staff> lead 1")
    assert "[kontaktiert]" in card and "(Sophie Brandl)" in card and "Wiedervorlage" in card


def test_in_english_and_the_claim_deadline_stays_the_partner_s(demo: Path) -> None:
    seen = turns(
        demo,
        [
            f"as {MAX}",
            "claim 1",
            f"as {JAMES}",
            "takeover 1",
            f"as {MAX}",
            "takeover 1",
            "wait 21h",
            f"as {JAMES}",
            f"as {MAX}",
            "won 1 5000",
            f"as {JAMES}",
            "takeover 1",
        ],
    )
    taken = after(seen, f"{JAMES}> takeover 1")
    assert taken.startswith("\n✔ Lead #1 is yours now (it was with Maximilian Huber).")
    assert COMPANY in taken and "Owner: Alpen-IT Systemhaus GmbH (James Whitfield)" in taken
    assert "✔ Lead #1 gehört jetzt Ihnen (bisher bei James Whitfield)." in after(
        seen, f"{MAX}> takeover 1"
    )
    # James's card, in his language; then nothing more about the lead reached him.
    told = after(seen, f"{MAX}> as {JAMES}", 1)
    assert "✎ Lead #1 has been taken over by your colleague Maximilian Huber." in told, told
    assert COMPANY not in told and "Reminder" not in told
    # The claim deadline runs from the claim: the reminder came 20 hours after it, to
    # the owner at that moment.
    reminded = after(seen, f"{MAX}> wait 21h")
    assert "Erinnerung: Lead #1 wartet auf Ihre Kontaktaufnahme." in reminded, reminded
    # A closed lead is no longer taken over.
    assert (
        "✖ Lead #1 is won: only an open lead of your company (claimed to proposal) can be"
        " taken over." in after(seen, f"{JAMES}> takeover 1", 1)
    )


# --- Slack: /leads takeover --------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def slack_world(
    make_settings: Callable[..., Settings], clock: ManualClock, slack_emulator: SlackEmulator
) -> AsyncIterator[tuple[ChatWorld, Member]]:
    """The Slack world, and a colleague of P1's rep on Slack."""
    async with chat_world("slack", make_settings, clock, slack_emulator) as world:
        a = world.members[0]
        async with world.runtime.uow() as uow:
            rep = Rep(
                partner_id=a.partner_id,
                name="Sophie Brandl",
                email="sophie@p1.example",
                slack_user_id="U0099",
            )
            uow.session.add(rep)
            await uow.commit()
            rep_id = rep.id
        slack_emulator.add_user("U0099")
        colleague = dataclasses.replace(
            a, rep_id=rep_id, name="Sophie Brandl", email="sophie@p1.example", user="U0099"
        )
        yield world, colleague


async def test_on_slack_the_card_and_the_reminders_follow_the_colleague(
    slack_world: tuple[ChatWorld, Member], slack_emulator: SlackEmulator
) -> None:
    world, sophie = slack_world
    a, b = world.members
    lead_id = await world.post_lead()
    assert f"Lead #{lead_id} gehört Ihnen!" in await world.claim(a, await world.teaser(a, lead_id))
    await world.card(a, lead_id, containing="Brauerei Huber GmbH")
    await world.report(a, lead_id, "contacted")
    await world.report(a, lead_id, ("follow_up", world.today_plus(2)))
    await world.card(a, lead_id, containing="Wiedervorlage")

    assert f"Lead #{lead_id} gehört nicht Ihrem Unternehmen." in await world.command(
        b, f"takeover {lead_id}"
    )
    told = await world.command(sophie, f"takeover {lead_id}")
    assert f"Lead #{lead_id} gehört jetzt Ihnen (bisher bei {a.name})." in told, told
    await world.card(sophie, lead_id, containing="Brauerei Huber GmbH")
    assert f"Lead #{lead_id} gehört Ihnen schon." in await world.command(
        sophie, f"übernehmen {lead_id}"
    )
    assert "Mitarbeitende übernehmen keine Leads" in await world.staff(f"takeover {lead_id}")

    # Rep A's card is the same message, edited into one line without the prospect.
    line = f"Lead #{lead_id} hat jetzt Sophie Brandl aus Ihrem Team übernommen."
    await world.card(a, lead_id, containing=line)
    await world.staff_sees(
        f"Lead #{lead_id}: Sophie Brandl hat ihn bei {a.partner_name} von {a.name} übernommen."
    )
    lead = await world.lead(lead_id)
    assert (lead.status, lead.owner_rep_id) == (LeadStatus.CONTACTED, sophie.rep_id)
    assert lead.follow_up_on == world.today_plus(2)

    # The follow-up reminder goes to Sophie only.
    world.advance(days=2, hours=12)
    await world.direct(sophie, lead_id, containing=f"Wiedervorlage heute: Lead #{lead_id}.")
    await world.settled()
    seen_by_a = await world.private(a)
    assert "Wiedervorlage heute" not in seen_by_a
    assert "Brauerei Huber GmbH" not in seen_by_a  # the card's only version left is the line
    assert line in seen_by_a

    # The cockpit's timeline says who took it over from whom.
    async with world.runtime.uow() as uow:
        [event] = (
            await uow.session.scalars(
                select(LeadEvent).where(
                    LeadEvent.lead_id == lead_id, LeadEvent.kind == "taken_over"
                )
            )
        ).all()
    assert what("de", event) == "im Team des Partners übernommen"
    assert what("en", event) == "taken over by a colleague"
    assert details("de", event) == f"bisher {a.name} · jetzt Sophie Brandl"
    assert details("en", event) == f"was {a.name} · now Sophie Brandl"

    # Rep A takes it back: a new card message (it pings), the old one keeps its line.
    await world.command(a, f"takeover {lead_id}")
    await world.card(a, lead_id, containing="Brauerei Huber GmbH")
    await world.settled()
    seen_by_a = await world.private(a)
    assert line in seen_by_a and "Brauerei Huber GmbH" in seen_by_a, seen_by_a
    await world.card(sophie, lead_id, containing=f"{a.name} aus Ihrem Team übernommen")


# --- a rep deactivated while their console is open ---------------------------------------


async def _bert_at_his_console(world: ChatWorld, tmp_path: Path) -> tuple[int, Console, Path]:
    """A lead the first member claimed, and Bert Berger — a colleague at the same partner,
    imported by ``reps import`` — at his own console (open while the directory changes).
    The lead's id, Bert's console, and the reps file (to be changed by the test)."""
    a = world.members[0]
    lead_id = await world.post_lead()
    await world.claim(a, await world.teaser(a, lead_id))
    others = "".join(f"{m.partner_id},{m.name},{m.email},sales\n" for m in world.members[1:])
    reps = tmp_path / "reps.csv"
    reps.write_text(
        f"partner_id,name,email,role\n{a.partner_id},{a.name},{a.email},sales\n"
        f"{a.partner_id},Bert Berger,bert@p1.example,sales\n{others}",
        encoding="utf-8",
    )
    url = world.runtime.settings.database.url
    done = await asyncio.to_thread(leadbot, url, "reps", "import", str(reps))
    assert done.exit_code == 0, done.output
    console = Console(world.runtime)
    await console("as bert@p1.example")
    return lead_id, console, reps


async def test_a_rep_deactivated_meanwhile_is_refused_and_nothing_changes(
    make_settings: Callable[..., Settings], clock: ManualClock, tmp_path: Path
) -> None:
    async with chat_world("console", make_settings, clock) as world:
        a = world.members[0]
        lead_id, console, reps = await _bert_at_his_console(world, tmp_path)
        url = world.runtime.settings.database.url
        others = "".join(f"{m.partner_id},{m.name},{m.email},sales\n" for m in world.members[1:])
        reps.write_text(
            f"partner_id,name,email,role\n{a.partner_id},{a.name},{a.email},sales\n{others}",
            encoding="utf-8",
        )
        done = await asyncio.to_thread(
            leadbot, url, "reps", "import", "--deactivate-missing", str(reps)
        )
        assert done.exit_code == 0, done.output
        said = await console(f"takeover {lead_id}")
        assert said.startswith("✖ Ihr Konto oder Ihr Unternehmen ist nicht aktiv"), said
        lead = await world.lead(lead_id)
        assert (lead.status, lead.owner_rep_id) == (LeadStatus.CLAIMED, a.rep_id)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # row locks
async def test_a_takeover_waits_for_a_deactivation_under_way_and_is_refused(
    make_settings: Callable[..., Settings], clock: ManualClock, tmp_path: Path
) -> None:
    """``reps import`` deactivating Bert while he typed ``takeover``: the takeover read him
    as active before the import committed, and the deactivated rep became the owner — and
    got the card with the prospect's data. It now waits for the rep's row and is refused."""
    async with chat_world("console", make_settings, clock) as world:
        a = world.members[0]
        lead_id, console, _ = await _bert_at_his_console(world, tmp_path)
        url = world.runtime.settings.database.url
        engine = create_engine_sync(url)
        try:
            with engine.connect() as importing:  # an import that deactivates Bert, not done yet
                importing.execute(
                    text("UPDATE reps SET active = false WHERE email = 'bert@p1.example'")
                )
                typed = asyncio.create_task(console(f"takeover {lead_id}"))
                await asyncio.sleep(1.0)
                assert not typed.done(), typed.result()  # waits for the import to decide
                importing.commit()
            said = await asyncio.wait_for(typed, 10)
        finally:
            engine.dispose()
        assert said.startswith("✖ Ihr Konto oder Ihr Unternehmen ist nicht aktiv"), said
        lead = await world.lead(lead_id)
        assert (lead.status, lead.owner_rep_id) == (LeadStatus.CLAIMED, a.rep_id)


# --- the sales kit stays with the lead -----------------------------------------------------


def test_a_new_owner_gets_the_kit_once_with_the_lead_never_as_new_content(
    demo: Path, database_url: str, tmp_path: Path
) -> None:
    """James got lead 1's sales kit with his claim. When he left the partner the lead
    passed to Maximilian, and when Sophie took it over, to her. The next content sync
    (``leadbot content reload``, the start of serve or console, every ``recheck_minutes``)
    found nothing new in the library, yet sent each new owner the whole kit as "Neu oder
    geändert in Ihren Verkaufsunterlagen · Argument (neu)". Each new owner now gets the kit
    with the lead, once, as the claimer did ("Verkaufsunterlagen zu Lead #1"), and the sync
    sends nothing."""
    turns(demo, [f"as {JAMES}", "claim 1"])
    reps = tmp_path / "reps.csv"
    original = (EXAMPLES / "reps.csv").read_text(encoding="utf-8")
    reps.write_text(
        "\n".join(line for line in original.splitlines() if JAMES not in line) + "\n",
        encoding="utf-8",
    )
    left = leadbot(database_url, "reps", "import", "--deactivate-missing", str(reps))
    assert "1 passed to a colleague" in left.output, left.output
    synced = leadbot(database_url, "content", "reload")
    assert "0 update message(s) queued" in synced.output, synced.output
    seen = turns(demo, [f"as {MAX}", f"as {SOPHIE}", "takeover 1"])
    assert "Verkaufsunterlagen zu Lead #1" in after(seen, f"staff> as {MAX}"), seen
    taken = after(seen, f"{SOPHIE}> takeover 1")
    assert "✔ Lead #1 gehört jetzt Ihnen (bisher bei Maximilian Huber)." in taken
    assert "Verkaufsunterlagen zu Lead #1" in taken, taken
    synced = leadbot(database_url, "content", "reload")
    assert "0 update message(s) queued" in synced.output, synced.output
    for typed, said in turns(demo, [f"as {SOPHIE}", f"as {MAX}"]):
        assert "Verkaufsunterlagen" not in said, (typed, said)  # nothing again, nothing new
