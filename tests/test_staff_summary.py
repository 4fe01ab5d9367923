"""The staff feed when it falls behind: one summary instead of a queue of messages.

Shown through the console platform's real transport and renderer: what staff read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.actors import Actor
from bot.clock import ManualClock
from bot.delivery.sender import OutboxSender
from bot.handlers.console.transport import ConsoleTransport, Inbox
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
    return [line for line in lines if line.startswith("[staff feed]")]


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
    assert "Der Staff-Feed holt auf: 6 Meldungen" in summary
    assert "3 × neuer Lead: #1, #2, #3" in summary


async def test_a_short_queue_is_sent_message_by_message(
    make_settings: Any, clock: ManualClock
) -> None:
    settings = make_settings(staff={"language": "en"}, outbox={"staff_summary_after": 20})
    shown, _, runtime = await _run(settings, clock, 4)
    await runtime.close()
    staff = _staff(shown)
    assert len(staff) == 8 and not any("catching up" in line for line in staff)
