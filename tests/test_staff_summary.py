"""The staff feed when it falls behind: one summary instead of a queue of messages.

Shown through the console platform's real transport and renderer: what staff read.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.delivery.sender import OutboxSender
from bot.handlers.console.transport import ConsoleTransport, Inbox
from bot.handlers.text import summary_text
from bot.i18n import LANGUAGES, has
from bot.intake.schema import LeadIn
from bot.intake.service import receive
from bot.models import Channel, OutboxMessage, OutboxStatus, Platform
from bot.runtime import Runtime
from tests.support.factories import add_partner, lead_payload


async def _leads(runtime: Runtime, count: int, first: int = 1) -> list[int]:
    ids = []
    for n in range(first, first + count):
        async with runtime.uow() as uow:
            payload = lead_payload(
                external_id=f"burst-{n}",
                **{
                    "company.name": f"Firma {n}",
                    "company.domain": f"firma{n}.example",
                    "contact.email": f"c@firma{n}.example",
                },
            )
            result = await receive(uow, LeadIn.model_validate(payload), Actor.system(Channel.API))
            await uow.commit()
            ids.append(result.lead_id)
    return ids


def _staff(lines: list[str]) -> list[str]:
    """What the console showed in the staff feed, headed in the staff's language."""
    return [
        line for line in lines if line.startswith(("[staff feed]", "[Feed der Mitarbeitenden]"))
    ]


async def _run(
    settings: Any, clock: ManualClock, leads: int
) -> tuple[list[str], list[int], Runtime]:
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", max_open_leads=100)
        await uow.commit()
    lead_ids = await _leads(runtime, leads)
    shown: list[str] = []
    sender = OutboxSender(runtime, {Platform.CONSOLE: ConsoleTransport(Inbox(shown.append))})
    await sender.drain()
    return shown, lead_ids, runtime


async def test_a_backlog_of_staff_messages_becomes_one_summary(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(staff={"language": "en"}, outbox={"staff_summary_after": 20})
    shown, lead_ids, runtime = await _run(settings, clock, 12)
    try:
        staff = _staff(shown)
        assert len(staff) == 1  # 24 waiting messages (new lead, offered) in one
        summary = staff[0]
        assert "The staff feed is catching up: 24 messages" in summary
        assert "12 × new lead: #1, #2, #3" in summary
        assert "12 × offered to partners:" in summary and f"#{lead_ids[-1]}" in summary
        assert "Brauerei" not in summary and "Firma" not in summary  # lead numbers only
        async with runtime.uow() as uow:
            rows = (
                await uow.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.address == "staff")
                )
            ).all()
        assert len(rows) == 24 and {r.status for r in rows} == {OutboxStatus.SENT}

        # Caught up: the next event is a message of its own again.
        shown.clear()
        await _leads(runtime, 1, first=50)
        await OutboxSender(
            runtime, {Platform.CONSOLE: ConsoleTransport(Inbox(shown.append))}
        ).drain()
        assert [line.split("\n")[1].strip()[:16] for line in _staff(shown)] == [
            "◆ New lead #13 (",
            "◆ Lead #13: wave",
        ]
    finally:
        await runtime.close()


async def test_the_summary_speaks_the_staff_language(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(staff={"language": "de"}, outbox={"staff_summary_after": 5})
    shown, _, runtime = await _run(settings, clock, 3)
    await runtime.close()
    [summary] = _staff(shown)
    assert "Der Feed holt auf: 6 Meldungen" in summary
    assert "3 × neuer Lead: #1, #2, #3" in summary


@pytest.mark.parametrize(
    ("language", "head"),
    [
        ("de", "Der Feed holt auf: 6 Meldungen von 02.03.2026 09:00, in Kürze:"),
        ("en", "The staff feed is catching up: 6 messages from 2026-03-02 09:00, in brief:"),
    ],
)
async def test_messages_of_one_minute_are_dated_once(
    make_settings: Any, clock: ManualClock, language: str, head: str
) -> None:
    """All queued in one minute: the head names that minute once — it said "von 09:00 bis
    09:00", a range from a time to itself."""
    settings = make_settings(staff={"language": language}, outbox={"staff_summary_after": 5})
    clock.advance(seconds=10)  # 08:00:10 UTC, and the next lead 40 seconds later
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", max_open_leads=100)
        await uow.commit()
    for n in range(1, 4):
        await _leads(runtime, 1, first=n)
        clock.advance(seconds=20)
    shown: list[str] = []
    await OutboxSender(runtime, {Platform.CONSOLE: ConsoleTransport(Inbox(shown.append))}).drain()
    await runtime.close()
    [summary] = _staff(shown)
    assert f"{head}\n" in summary, summary


@pytest.mark.parametrize(
    ("language", "head"),
    [
        ("de", "Der Feed holt auf: 6 Meldungen von 02.03.2026 09:00 bis 02.03.2026 09:10, "),
        ("en", "The staff feed is catching up: 6 messages from 2026-03-02 09:00 to 2026-03-02 09:10,"),
    ],
)  # fmt: skip
async def test_messages_over_minutes_are_dated_as_a_range(
    make_settings: Any, clock: ManualClock, language: str, head: str
) -> None:
    settings = make_settings(staff={"language": language}, outbox={"staff_summary_after": 5})
    runtime = Runtime.create(settings, clock=clock)
    async with runtime.uow() as uow:
        await add_partner(uow, "P1", max_open_leads=100)
        await uow.commit()
    for n in range(1, 4):
        await _leads(runtime, 1, first=n)
        clock.advance(minutes=5)
    shown: list[str] = []
    await OutboxSender(runtime, {Platform.CONSOLE: ConsoleTransport(Inbox(shown.append))}).drain()
    await runtime.close()
    [summary] = _staff(shown)
    assert head in summary, summary


async def test_a_short_queue_is_sent_message_by_message(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(staff={"language": "en"}, outbox={"staff_summary_after": 20})
    shown, _, runtime = await _run(settings, clock, 4)
    await runtime.close()
    staff = _staff(shown)
    assert len(staff) == 8 and not any("catching up" in line for line in staff)


BOT = Path(__file__).resolve().parent.parent / "bot"
COMPUTED_EVENTS = {("bot/leads/progress.py", "status.value"): {"returned", "recalled"}}
"""Staff events whose name the code computes: (file, expression) -> the names it can be."""


def _is_staff_call(node: ast.AST) -> bool:
    """``<...>.outbox.staff(...)``: how the code queues a message for the staff feed."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "staff"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "outbox"
    )


def _staff_events() -> set[str]:
    """Every event the code queues for the staff feed, read from the source, so that a
    new event cannot be forgotten in the catalogs. An event name the test cannot read
    fails it until ``COMPUTED_EVENTS`` lists what the name can be."""
    events: set[str] = set()
    for path in sorted(BOT.rglob("*.py")):
        file = path.relative_to(BOT.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), file)
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for call in filter(_is_staff_call, ast.walk(tree)):
            first = call.args[0]
            computed = COMPUTED_EVENTS.get((file, ast.unparse(first)))
            if computed is not None:
                events |= computed
                continue
            for branch in [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]:
                if isinstance(branch, ast.Constant):
                    events.add(branch.value)
                elif isinstance(branch, ast.Name) and branch.id in constants:
                    events.add(constants[branch.id])
                else:
                    raise AssertionError(f"{file}:{call.lineno}: add its events to COMPUTED_EVENTS")
    return events


def test_every_staff_event_has_a_summary_line_in_both_languages() -> None:
    """A summary line without its wording showed the raw key ("4 × partner_paused_by")."""
    events = _staff_events()
    assert {"new_lead", "returned", "partner_paused_by", "content.fixed"} <= events
    for language in LANGUAGES:
        missing = sorted(e for e in events if not has(language, f"staff_summary.event.{e}"))
        assert not missing, f"{language}.toml [staff_summary.event] lacks {missing}"
    line = summary_text("de", {"events": [{"event": "partner_paused_by", "count": 4}]})
    assert "4 × Partner manuell pausiert: –" in line
